// The JSON text stored and forwarded for decoded sub-objects (message, referral, pricing, other
// fields' values), and which bodies the strict parser accepts. Where this differs from the
// JSONSerialization-based decoder it replaced, the test says so.
import JSON
import XCTest
@testable import WhatsApp

final class StorageFormTests: XCTestCase {
    private func wrap(_ message: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"P"},"messages":["#.utf8)
            + Array(message.utf8) + Array("]}}]}]}".utf8)
    }

    private func rawJSON(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try XCTUnwrap(try WebhookDecoder.decode(wrap(message)).messages.first, file: file, line: line).rawJSON
    }

    private func code(_ body: [UInt8]) -> String? {
        do {
            _ = try WebhookDecoder.decode(body)
            return nil
        } catch {
            return (error as? WebhookDecodeError)?.code ?? "unexpected \(error)"
        }
    }

    /// Numbers are stored as written. (JSONSerialization stored 1.0 as 1, 1e3 as 1000, 1.10 as
    /// 1.1, -0 as 0 and 1.5e300 as 1.5e+300.)
    func testNumbersKeepTheirLiteral() throws {
        let numbers = "[1.0,1e3,1E+2,-0,-0.0,1.10,12345678901234567890,99999999999999999999,1.5e300,1e-7,5e-324,100]"
        let raw = try rawJSON(#"{"id":"w","from":"1","timestamp":"1","type":"poll","poll":{"n":\#(numbers)}}"#)
        XCTAssertEqual(raw, #"{"from":"1","id":"w","poll":{"n":\#(numbers)},"timestamp":"1","type":"poll"}"#)

        let other = try WebhookDecoder.decode(Array(#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"x","value":1.0},{"field":"y"}]}]}"#.utf8))
        XCTAssertEqual(other.changes, [.otherField(field: "x", valueJSON: "1.0"), .otherField(field: "y", valueJSON: "null")])
    }

    /// Keys sort by their UTF-8 bytes, so upper case comes before lower case and "a10" before
    /// "a9". (JSONSerialization sorted case-insensitively with numeric runs: a, A, a9, a10.)
    func testKeysSortByteWise() throws {
        let raw = try rawJSON(#"{"type":"poll","id":"w","from":"1","timestamp":"1","poll":{"b":1,"B":2,"a":3,"A":4,"a10":5,"a9":6,"_x":7,"é":8,"z":9,"":10,"a_b":11,"a-b":12}}"#)
        XCTAssertEqual(raw, #"{"from":"1","id":"w","poll":{"":10,"A":4,"B":2,"_x":7,"a":3,"a-b":12,"a10":5,"a9":6,"a_b":11,"b":1,"z":9,"é":8},"timestamp":"1","type":"poll"}"#)
    }

    /// Non-ASCII stays raw UTF-8 and "/" is not escaped, as before; U+2028/U+2029 are now escaped
    /// (legal JSON either way; older JavaScript treats them as line ends).
    func testStringEscapes() throws {
        let raw = try rawJSON(#"{"id":"w","from":"1","timestamp":"1","type":"poll","poll":["a\/b","\u2028\u2029","\u0001\u001f\u007f","\b\f\n\r\t","\"\\","\u00e9\ud83d\ude00","é😀","\u0000"]}"#)
        XCTAssertEqual(raw, "{\"from\":\"1\",\"id\":\"w\",\"poll\":[\"a/b\",\"\\u2028\\u2029\",\"\\u0001\\u001f\u{7F}\",\"\\b\\f\\n\\r\\t\",\"\\\"\\\\\",\"é😀\",\"é😀\",\"\\u0000\"],\"timestamp\":\"1\",\"type\":\"poll\"}")
    }

    /// Every stored sub-object of every fixture parses back to the wire value (keys sorted), and
    /// storing it again gives the same bytes, so redeliveries de-duplicate.
    func testFixtureSubObjectsRoundTrip() throws {
        var checked = 0
        for name in ["messages_all_types", "statuses", "batch_2x2", "wire_escaped", "other_field", "simulator_every_type", "username_only"] {
            let bytes = try Fixture.bytes(name)
            let payload = try WebhookDecoder.decode(bytes)
            let wire = try JSONParser.parse(bytes)
            let wireChanges = (wire["entry"]?.arrayValue ?? []).flatMap { $0["changes"]?.arrayValue ?? [] }
            XCTAssertEqual(wireChanges.count, payload.changes.count, name)
            for (wireChange, change) in zip(wireChanges, payload.changes) {
                let value = try XCTUnwrap(wireChange["value"], name)
                switch change {
                case .otherField(_, let valueJSON):
                    try assertStores(valueJSON, value, name)
                case .messages(let decoded):
                    let wireMessages = (value["messages"]?.arrayValue ?? []).filter { $0["id"]?.stringValue?.isEmpty == false }
                    XCTAssertEqual(wireMessages.count, decoded.messages.count, name)
                    for (wireMessage, message) in zip(wireMessages, decoded.messages) {
                        try assertStores(message.rawJSON, wireMessage, name)
                        if let referral = message.referralJSON { try assertStores(referral, try XCTUnwrap(wireMessage["referral"]), name) }
                        if case .contacts(_, let cards) = message.content { try assertStores(cards, try XCTUnwrap(wireMessage["contacts"]), name) }
                        checked += 1
                    }
                    let wireStatuses = value["statuses"]?.arrayValue ?? []
                    for (wireStatus, status) in zip(wireStatuses, decoded.statuses) {
                        if let pricing = status.pricingJSON { try assertStores(pricing, try XCTUnwrap(wireStatus["pricing"]), name) }
                        if let conversation = status.conversationJSON { try assertStores(conversation, try XCTUnwrap(wireStatus["conversation"]), name) }
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 40)
    }

    private func assertStores(_ stored: String, _ wire: JSONValue, _ fixture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reparsed = try JSONParser.parse(Array(stored.utf8))
        XCTAssertEqual(reparsed, Self.keysSorted(wire), "\(fixture): \(stored)", file: file, line: line)
        XCTAssertEqual(StorageJSON.string(reparsed), stored, fixture, file: file, line: line)
    }

    /// Written independently of StorageJSON (fixtures have no repeated keys).
    private static func keysSorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let elements): return .array(elements.map(keysSorted))
        case .object(let members):
            return .object(members.map { ($0.0, keysSorted($0.1)) }.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) })
        default: return value
        }
    }

    /// What the strict parser accepts. Unchanged: a UTF-8 byte order mark is skipped, lone
    /// surrogates and malformed UTF-8 are refused, 64 levels pass and 65 are too deep. Changed:
    /// a trailing comma and UTF-16 bodies (which JSONSerialization accepted) are refused;
    /// 1e400 (which it refused) is a valid literal whose value reads as absent.
    func testWhichBodiesParse() throws {
        let empty = try WebhookDecoder.decode([0xEF, 0xBB, 0xBF] + Array(#"{"object":"whatsapp_business_account"}"#.utf8))
        XCTAssertEqual(empty.object, "whatsapp_business_account")
        XCTAssertEqual(code(Array(#"{"object":"whatsapp_business_account","entry":[],}"#.utf8)), "invalid_json")
        XCTAssertEqual(code(Array(#"{"object":"whatsapp_business_account"}"#.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })), "invalid_json")
        XCTAssertEqual(code(wrap(#"{"id":"w","type":"text","text":{"body":"\ud83d"}}"#)), "invalid_json")
        XCTAssertEqual(code(wrap(#"{"id":"w","type":"text","text":{"body":"\ude00"}}"#)), "invalid_json")
        XCTAssertEqual(code(Array(#"{"x":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)), "invalid_json")

        let huge = try WebhookDecoder.decode(wrap(#"{"id":"w","from":"1","timestamp":"1","type":"location","location":{"latitude":1e400,"longitude":-1e400}}"#))
        XCTAssertEqual(huge.messages.first?.content, .location(Location(latitude: nil, longitude: nil, name: nil, address: nil, url: nil)))

        func nested(_ depth: Int) -> [UInt8] {
            Array(("{\"a\":" + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}").utf8)
        }
        XCTAssertNil(code(nested(64)))
        XCTAssertEqual(code(nested(65)), "too_deep")
        // The parser meets the error first; the old bracket-counting pre-pass said too_deep.
        XCTAssertEqual(code(Array(("{\"a\":x" + String(repeating: "[", count: 100)).utf8)), "invalid_json")
    }

    /// The refusal names where the body broke (never the body itself), for the inbox's logs.
    func testInvalidJSONDetailNamesTheOffset() {
        XCTAssertThrowsError(try WebhookDecoder.decode(Array(#"{"object":}"#.utf8))) { error in
            XCTAssertEqual((error as? WebhookDecodeError)?.description, "invalid_json: body is not valid JSON: unexpected character at byte 10")
        }
    }
}
