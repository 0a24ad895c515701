// Bodies that are broken, hostile or oddly typed: each has a defined answer and none can crash.
import Foundation
import XCTest
@testable import WhatsApp

final class MalformedInputTests: XCTestCase {
    private func decodeError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        decodeError(Array(text.utf8), file: file, line: line)
    }

    private func decodeError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try WebhookDecoder.decode(bytes)
            return nil
        } catch let error as WebhookDecodeError {
            return error.code
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
            return "?"
        }
    }

    func testBodiesThatAreNotAnObject() {
        XCTAssertEqual(decodeError(""), "invalid_json")
        XCTAssertEqual(decodeError("{"), "invalid_json")
        XCTAssertEqual(decodeError("{\"object\":}"), "invalid_json")
        XCTAssertEqual(decodeError([0xff, 0xfe, 0x7b, 0x7d]), "invalid_json")
        XCTAssertEqual(decodeError("[]"), "not_an_object")
        XCTAssertEqual(decodeError("123"), "not_an_object")
        XCTAssertEqual(decodeError("\"text\""), "not_an_object")
        XCTAssertEqual(decodeError("null"), "not_an_object")
        XCTAssertEqual(decodeError(#"{"object":"page","entry":[]}"#), "wrong_object")
        XCTAssertEqual(decodeError(String(repeating: "[", count: 100_000)), "too_deep")
        XCTAssertEqual(decodeError("{\"a\":" + String(repeating: "{\"a\":", count: 70) + "1" + String(repeating: "}", count: 71)), "too_deep")
    }

    func testBracketsInsideStringsDoNotCountAsNesting() throws {
        let deepText = String(repeating: "[{", count: 200)
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"w1","from":"1","timestamp":"5","type":"text","text":{"body":"\#(deepText)\"]"}}]}}]}]}"#
        let payload = try WebhookDecoder.decode(Array(body.utf8))
        XCTAssertEqual(payload.messages.first?.content, .text(body: deepText + "\"]"))
    }

    func testMissingPiecesDecodeWhatTheyCan() throws {
        let body = #"""
        {"object":"whatsapp_business_account","entry":[
          5,
          {"id":"no-changes"},
          {"id":"W","changes":[
            "x",
            {"value":{}},
            {"field":"messages"},
            {"field":"messages","value":{"messages":{"not":"an array"},"statuses":[{"id":"s1"},{"status":"read"},{"id":"s2","status":"read","timestamp":1700000000}],"contacts":[7]}},
            {"field":"messages","value":{"metadata":{"phone_number_id":123},"messages":[
              {"id":"m1","timestamp":"soon","type":"text"},
              {"id":"m2","from":15551230001,"timestamp":"1700000000","type":"image","image":"oops"},
              {"id":"m3","from":"1","timestamp":"1","type":"text","text":{"body":["not","a","string"]}},
              {"id":"m4","from":"1","timestamp":"1","type":true,"context":"str","errors":[1,{"code":"131051"}]},
              {"id":"m5","from":"1","timestamp":"1","type":"location","location":{"latitude":"38.5","longitude":true}},
              {"id":"m6","from":"1","timestamp":"1","type":"interactive","interactive":{"type":"call_permission_reply"}},
              {"id":"m7","from":"1","timestamp":"99999999999999999999","type":"reaction","reaction":{"message_id":"x","emoji":""}},
              {"id":"","from":"1"},
              {"id":true}
            ]}}
          ]}
        ]}
        """#
        let payload = try WebhookDecoder.decode(Array(body.utf8))
        XCTAssertEqual(payload.messages.map(\.id), ["m1", "m2", "m3", "m4", "m5", "m6", "m7"])
        XCTAssertEqual(payload.statuses.map(\.id), ["s2"])
        XCTAssertEqual(payload.statuses.first?.timestamp, 1_700_000_000)
        let m = Dictionary(payload.messages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(m["m1"]?.timestamp, 0)
        XCTAssertEqual(m["m1"]?.content, .unsupported(type: "text", errors: []))
        XCTAssertEqual(m["m1"]?.phoneNumberID, "123")
        XCTAssertEqual(m["m2"]?.from, "15551230001")
        XCTAssertEqual(m["m2"]?.content, .unsupported(type: "image", errors: []))
        XCTAssertEqual(m["m3"]?.content, .unsupported(type: "text", errors: []))
        XCTAssertEqual(m["m4"]?.type, "unknown")
        XCTAssertNil(m["m4"]?.context)
        XCTAssertEqual(m["m4"]?.errors.map(\.code), [131051])
        XCTAssertEqual(m["m5"]?.content, .location(Location(latitude: 38.5, longitude: nil, name: nil, address: nil, url: nil)))
        XCTAssertEqual(m["m6"]?.content, .interactive(InteractiveReply(type: "call_permission_reply", id: nil, title: nil, description: nil, responseJSON: nil)))
        XCTAssertEqual(m["m7"]?.timestamp, 0)
        XCTAssertEqual(m["m7"]?.content, .reaction(messageID: "x", emoji: nil))

        let w = payload.warnings
        for expected in [
            "entry[0]: not an object, skipped",
            "entry[1].changes: missing or not an array",
            "entry[2].changes[0]: not an object, skipped",
            "entry[2].changes[1].field: missing, skipped",
            "entry[2].changes[2].value: missing or not an object, skipped",
            "entry[2].changes[3].value.messages: not an array, ignored",
            "entry[2].changes[3].value.statuses[0]: missing status, skipped",
            "entry[2].changes[3].value.statuses[1]: missing id, skipped",
            "entry[2].changes[3].value.contacts[0]: not an object, skipped",
            "entry[2].changes[4].value.messages[0]: no sender (from / from_user_id)",
            "entry[2].changes[4].value.messages[0].timestamp: not an integer, using 0",
            "entry[2].changes[4].value.messages[7]: missing id, skipped",
            "entry[2].changes[4].value.messages[8]: missing id, skipped",
        ] {
            XCTAssertTrue(w.contains(expected), "missing warning \(expected) in \(w)")
        }
    }

    func testEmptyObjectAndMissingEntry() throws {
        let payload = try WebhookDecoder.decode(Array("{}".utf8))
        XCTAssertNil(payload.object)
        XCTAssertTrue(payload.changes.isEmpty)
        XCTAssertEqual(payload.warnings, ["object: missing", "entry: missing or not an array"])
    }

    func testLoneSurrogateHasADefinedAnswer() {
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"w","from":"1","timestamp":"1","type":"text","text":{"body":"\ud83d"}}]}}]}]}"#
        // Either answer is acceptable; what matters is that it is one of them, not a crash.
        do {
            let payload = try WebhookDecoder.decode(Array(body.utf8))
            XCTAssertEqual(payload.messages.count, 1)
        } catch let error as WebhookDecodeError {
            XCTAssertEqual(error.code, "invalid_json")
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    /// Deterministic mutations of real fixtures (byte flips, truncations, splices): every result
    /// must be a payload or a WebhookDecodeError.
    func testMutatedFixturesNeverCrash() throws {
        var rng = SplitMix64(seed: 42)
        let fixtures = try ["messages_all_types", "statuses", "batch_2x2", "wire_escaped"].map { try Fixture.bytes($0) }
        let alphabet = Array(#"{}[]":,0123456789.-eEtrufalsn\u"#.utf8) + [0x00, 0xff, 0xc3]
        var decoded = 0, refused = 0
        for i in 0..<300 {
            var bytes = fixtures[i % fixtures.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                guard !bytes.isEmpty else { break }
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.removeSubrange(at...)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                }
            }
            do {
                _ = try WebhookDecoder.decode(bytes)
                decoded += 1
            } catch is WebhookDecodeError {
                refused += 1
            }
        }
        XCTAssertEqual(decoded + refused, 300)
        XCTAssertGreaterThan(decoded, 0)
        XCTAssertGreaterThan(refused, 0)
    }
}

/// A tiny seeded generator so the mutation test is reproducible.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
