import XCTest
@testable import JSON

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private func errorCode(_ bytes: [UInt8], maxDepth: Int = 64) -> String? {
        do throws(JSONError) {
            _ = try JSONParser.parse(bytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error.code
        }
    }

    func testValidDocuments() throws {
        let table: [(String, JSONValue)] = [
            ("null", .null), ("true", .bool(true)), (" false ", .bool(false)),
            ("0", .number("0")), ("-0", .number("-0")), ("1.10", .number("1.10")),
            ("-12.5e+3", .number("-12.5e+3")), ("1E-2", .number("1E-2")),
            ("123456789012345678901234567890", .number("123456789012345678901234567890")),
            ("\"\"", .string("")), ("\"a\\\"b\\\\c\\/d\"", .string("a\"b\\c/d")),
            ("\"\\b\\f\\n\\r\\t\"", .string("\u{8}\u{c}\n\r\t")),
            ("\"\\u00e9\\u20AC\"", .string("é€")), ("\"\\ud83d\\ude00\"", .string("😀")),
            ("\"héllo 😀\"", .string("héllo 😀")), ("\"\\u0000\"", .string("\u{0}")),
            ("[]", .array([])), ("[ 1 , [2] ,{}]", .array([.number("1"), .array([.number("2")]), .object([])])),
            ("{\"a\":1,\"a\":2}", .object([("a", .number("1")), ("a", .number("2"))])),
            ("\t\r\n{ \"k\" : [ null ] }\n", .object([("k", .array([.null]))])),
        ]
        for (text, expected) in table {
            XCTAssertEqual(try parse(text), expected, text)
        }
    }

    func testInvalidDocumentsAreRejected() {
        let table: [String] = [
            "", " ", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "[1 2]", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":}",
            "01", "-01", "1.", ".1", "-", "+1", "1e", "1e+", "1.e3", "0x10", "NaN", "Infinity", "-Infinity",
            "tru", "nul", "True", "[1]]", "[1] x", "{}{}", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
            "\"a\nb\"", "\"a\tb\"", "\"\u{1}\"", "// c\n1", "/* c */ 1", "[1,2", "{\"a\":1", "\"\\\"",
            "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"", "[\u{00a0}1]",
        ]
        for text in table {
            XCTAssertEqual(errorCode(Array(text.utf8)), "invalid_json", text.debugDescription)
        }
    }

    func testInvalidUTF8IsRejected() {
        let table: [[UInt8]] = [
            [0x22, 0x80, 0x22],              // lone continuation byte
            [0x22, 0xC0, 0xAF, 0x22],        // overlong '/'
            [0x22, 0xC3, 0x22],              // truncated 2-byte
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong 3-byte
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xFF, 0x22], [0x22, 0xF0, 0x9F, 0x98],  // invalid lead; truncated at end
            [0xEF, 0xBB, 0xBF, 0x31],        // byte order mark is not whitespace
        ]
        for bytes in table {
            XCTAssertEqual(errorCode(bytes), "invalid_json", "\(bytes)")
        }
    }

    func testDeepNestingIsTooDeepNotACrash() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 10_000)
        XCTAssertEqual(errorCode(deep), "too_deep")
        let objects = Array(String(repeating: "{\"a\":", count: 10_000).utf8)
        XCTAssertEqual(errorCode(objects), "too_deep")
        let ok = Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)
        XCTAssertNil(errorCode(ok))
        let over = Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)
        XCTAssertEqual(errorCode(over), "too_deep")
    }

    func testTooLarge() {
        XCTAssertThrowsError(try JSONParser.parse(Array("[1,2,3]".utf8), maxBytes: 4)) { error in
            XCTAssertEqual((error as? JSONError)?.code, "too_large")
        }
    }

    func testErrorCarriesOffset() {
        do {
            _ = try JSONParser.parse(Array("[1,]".utf8))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.offset, 3)
            XCTAssertTrue(error.message.contains("byte 3"), error.message)
        }
    }

    func testAccessors() throws {
        let v = try parse(#"{"s":"x","i":-42,"big":9223372036854775808,"f":1.5,"e":1e3,"b":true,"a":[1],"o":{}}"#)
        XCTAssertEqual(v["s"]?.stringValue, "x")
        XCTAssertEqual(v["i"]?.intValue, -42)
        XCTAssertNil(v["big"]?.intValue)
        XCTAssertEqual(v["big"], .number("9223372036854775808"))
        XCTAssertNil(v["f"]?.intValue)
        XCTAssertEqual(v["f"]?.doubleValue, 1.5)
        XCTAssertNil(v["e"]?.intValue)
        XCTAssertEqual(v["e"]?.doubleValue, 1000)
        XCTAssertEqual(v["b"]?.boolValue, true)
        XCTAssertEqual(v["a"]?.arrayValue, [.number("1")])
        XCTAssertEqual(v["o"]?.objectValue?.count, 0)
        XCTAssertNil(v["missing"])
        XCTAssertNil(v["s"]?.intValue)
        XCTAssertNil(JSONValue.array([])["s"])
    }

    func testObjectEqualityIsByOrderedPairs() {
        let a = JSONValue.object([("x", .number("1")), ("y", .number("2"))])
        let b = JSONValue.object([("y", .number("2")), ("x", .number("1"))])
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, .object([("x", .number("1")), ("y", .number("2"))]))
    }

    func testTopLevelMembersRanges() throws {
        let text = #" { "op" : "publish", "data" : {"a":[1,2,{"b":"}"}]} , "n":-1.5e2 } "#
        let bytes = Array(text.utf8)
        let members = try JSONParser.topLevelMembers(bytes)
        XCTAssertEqual(members.map(\.key), ["op", "data", "n"])
        let slices = members.map { String(decoding: bytes[$0.range], as: UTF8.self) }
        XCTAssertEqual(slices, [#""publish""#, #"{"a":[1,2,{"b":"}"}]}"#, "-1.5e2"])
        XCTAssertEqual(try JSONParser.topLevelMembers(Array("{}".utf8)).count, 0)
    }

    func testTopLevelMembersValidatesEverything() {
        let bad = [#"[1]"#, #""s""#, #"{"a":[1,]}"#, #"{"a":1} x"#, #"{"a":"\x"}"#, #"{"a":1,}"#, ""]
        for text in bad {
            XCTAssertThrowsError(try JSONParser.topLevelMembers(Array(text.utf8)), text)
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 10_000)
        XCTAssertThrowsError(try JSONParser.topLevelMembers(Array(deep.utf8))) { error in
            XCTAssertEqual((error as? JSONError)?.code, "too_deep")
        }
    }
}
