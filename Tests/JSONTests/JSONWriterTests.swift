import XCTest
@testable import JSON

final class JSONWriterTests: XCTestCase {
    private func text(_ value: JSONValue) -> String { String(decoding: JSONWriter.encode(value), as: UTF8.self) }

    func testStringEscaping() {
        XCTAssertEqual(text(.string("a\"b\\c")), #""a\"b\\c""#)
        XCTAssertEqual(text(.string("\n\r\t\u{8}\u{c}")), #""\n\r\t\b\f""#)
        XCTAssertEqual(text(.string("\u{0}\u{1f}")), #""\u0000\u001f""#)
        XCTAssertEqual(text(.string("x\u{2028}y\u{2029}")), #""x\u2028y\u2029""#)
        XCTAssertEqual(text(.string("é😀/")), "\"é😀/\"")
        XCTAssertEqual(text(.string("")), "\"\"")
    }

    func testCompactStructure() {
        let v = JSONValue.object([("a", .array([.number("1"), .null, .bool(true), .bool(false)])), ("b", .object([]))])
        XCTAssertEqual(text(v), #"{"a":[1,null,true,false],"b":{}}"#)
    }

    func testAppendInt() {
        for v: Int64 in [0, 7, -7, 10, 1_764_460_000_123, .max, .min] {
            var out: [UInt8] = []
            JSONWriter.appendInt(v, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(v))
        }
    }

    func testRoundTrips() throws {
        let documents = [
            #"{"seq":42,"type":"conversation.updated","data":{"text":"hi\n\"there\" 😀","n":1.50,"big":123456789012345678901234567890}}"#,
            #"[null,true,false,-0,1e-7,"\u0001\u2028",[],{}]"#,
            #"{"dup":1,"dup":2}"#,
        ]
        for doc in documents {
            let v = try JSONParser.parse(Array(doc.utf8))
            let bytes = JSONWriter.encode(v)
            XCTAssertEqual(try JSONParser.parse(bytes), v, doc)
            XCTAssertEqual(JSONWriter.encode(try JSONParser.parse(bytes)), bytes)  // writing is stable
        }
        // Every single byte value as a string survives a write/parse round trip.
        let all = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self) + "\u{2028}\u{2029}é"
        XCTAssertEqual(try JSONParser.parse(JSONWriter.encode(.string(all))), .string(all))
    }
}
