// How the decoder reads oddly typed fields since it parses with the JSON module: the same answers
// JSONSerialization gave (ids from integral numbers, trimmed numeric strings, booleans never
// numbers, the last of a repeated key), each pinned so a later parser change cannot drift.
import JSON
import XCTest
@testable import WhatsApp

final class FieldReadingTests: XCTestCase {
    private func wrap(_ message: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"P"},"messages":["#.utf8)
            + Array(message.utf8) + Array("]}}]}]}".utf8)
    }

    private func decodeOne(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws -> (InboundMessage, [String]) {
        let payload = try WebhookDecoder.decode(wrap(message))
        return (try XCTUnwrap(payload.messages.first, file: file, line: line), payload.warnings)
    }

    /// Numbers as ids, timestamps and error codes: integral values count however they are
    /// written, and exactly (no detour through Double); fractions, overflow and booleans do not.
    func testIntegralNumbersAreReadExactly() throws {
        let integral: [(String, Int64)] = [
            ("1.0", 1), ("1e3", 1000), ("1E+2", 100), ("100e-2", 1), ("-0", 0),
            ("9007199254740993.0", 9_007_199_254_740_993), ("9223372036854775807", .max), ("-9223372036854775808", .min),
        ]
        for (literal, value) in integral {
            let (m, warnings) = try decodeOne(#"{"id":"w","from":\#(literal),"timestamp":\#(literal),"type":"text","text":{"body":"x"},"errors":[{"code":\#(literal)}]}"#)
            XCTAssertEqual(m.from, String(value), literal)
            XCTAssertEqual(m.timestamp, value, literal)
            XCTAssertEqual(m.errors.first?.code, Int(value), literal)
            XCTAssertEqual(warnings, [], literal)
        }
        for literal in ["0.5", "12345678901234567890", "9223372036854775808", "1.5e300", "1e400", "true", "false", "null"] {
            let (m, warnings) = try decodeOne(#"{"id":"w","from":\#(literal),"timestamp":\#(literal),"type":"text","text":{"body":"x"},"errors":[{"code":\#(literal)}]}"#)
            XCTAssertNil(m.from, literal)
            XCTAssertEqual(m.timestamp, 0, literal)
            XCTAssertEqual(m.errors.first.map { $0.code == nil }, true, literal)
            XCTAssertEqual(warnings.count, 2, "\(literal): \(warnings)")
        }
    }

    func testNumericStringsTrimSpacesButNotLineBreaks() throws {
        let cases: [(String, Int64)] = [
            (#"" 17 ""#, 17), (#""\t17""#, 17), (#""\u00a017""#, 17), (#""\u300017""#, 17),
            (#""+17""#, 17), (#""-5""#, -5), (#""\n17""#, 0), (#""17.0""#, 0), (#""0x11""#, 0), (#""""#, 0),
        ]
        for (json, expected) in cases {
            let (m, _) = try decodeOne(#"{"id":"w","from":"1","timestamp":\#(json),"type":"text","text":{"body":"x"}}"#)
            XCTAssertEqual(m.timestamp, expected, json)
        }
        let (m, _) = try decodeOne(#"{"id":"w","from":"1","timestamp":"1","type":"location","location":{"latitude":" 38.5 ","longitude":"nan"}}"#)
        XCTAssertEqual(m.content, .location(Location(latitude: 38.5, longitude: nil, name: nil, address: nil, url: nil)))
    }

    func testBooleansAreNotNumbersAndNumbersAreNotBooleans() throws {
        let cases: [(String, Bool)] = [("true", true), ("false", false), ("1", false), ("0", false), (#""true""#, true), (#""True""#, false), ("null", false)]
        for (json, expected) in cases {
            let (m, _) = try decodeOne(#"{"id":"w","from":"1","timestamp":"1","type":"audio","audio":{"id":"a","voice":\#(json)}}"#)
            guard case .media(let media) = m.content else { return XCTFail("not media for \(json)") }
            XCTAssertEqual(media.voice, expected, json)
        }
    }

    /// A repeated key: the last value wins, for reading and in the stored form alike.
    func testLastOfARepeatedKeyWins() throws {
        let (m, _) = try decodeOne(#"{"id":"first","id":"second","from":"1","timestamp":"1","type":"text","text":{"body":"a"},"text":{"body":"b"}}"#)
        XCTAssertEqual(m.id, "second")
        XCTAssertEqual(m.content, .text(body: "b"))
        XCTAssertEqual(m.rawJSON, #"{"from":"1","id":"second","text":{"body":"b"},"timestamp":"1","type":"text"}"#)

        XCTAssertThrowsError(try WebhookDecoder.decode(Array(#"{"object":"whatsapp_business_account","object":"page","entry":[]}"#.utf8))) { error in
            XCTAssertEqual((error as? WebhookDecodeError)?.code, "wrong_object")
        }
        let accepted = try WebhookDecoder.decode(Array(#"{"object":"page","object":"whatsapp_business_account","entry":[]}"#.utf8))
        XCTAssertEqual(accepted.object, "whatsapp_business_account")
    }

    func testIntegralLiteral() {
        let cases: [(String, Int64?)] = [
            ("0", 0), ("-0", 0), ("0.000", 0), ("0e99999999999999999999", 0), ("1.0", 1), ("1.50e1", 15), ("15e-1", nil),
            ("123.4500e2", 12345), ("123.4501e2", nil), ("1e18", 1_000_000_000_000_000_000), ("1e19", nil),
            ("-9223372036854775808.0", .min), ("9223372036854775807.0", .max), ("9223372036854775808.0", nil),
            ("0.5", nil), ("5e-1", nil), ("1e-99999999999999999999", nil), ("1e99999999999999999999", nil),
        ]
        for (literal, expected) in cases {
            XCTAssertEqual(IntegralLiteral.int64(literal), expected, literal)
        }
        let zeros = String(repeating: "0", count: 100_000)
        XCTAssertNil(IntegralLiteral.int64("0.\(zeros)1"))
        XCTAssertEqual(IntegralLiteral.int64("7.\(zeros)"), 7)
        XCTAssertEqual(IntegralLiteral.int64("0.\(zeros)7e100002"), 70)
    }
}
