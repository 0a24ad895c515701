import XCTest
@testable import Cluster

final class RESPParserTests: XCTestCase {
    private func parse(_ s: String, _ limits: RESPLimits = RESPLimits()) -> RESPParseResult {
        RESPParser.parse(Array(s.utf8), limits: limits)
    }

    func testEveryType() {
        XCTAssertEqual(parse("+OK\r\n"), .value(.simple("OK"), consumed: 5))
        XCTAssertEqual(parse("-ERR no\r\n"), .value(.error("ERR no"), consumed: 9))
        XCTAssertEqual(parse(":-42\r\n"), .value(.integer(-42), consumed: 6))
        XCTAssertEqual(parse("$3\r\na\r\n\r\n"), .value(.bulk(Array("a\r\n".utf8)), consumed: 9))
        XCTAssertEqual(parse("$0\r\n\r\n"), .value(.bulk([]), consumed: 6))
        XCTAssertEqual(parse("$-1\r\n"), .value(.bulk(nil), consumed: 5))
        XCTAssertEqual(parse("*-1\r\n"), .value(.array(nil), consumed: 5))
        XCTAssertEqual(parse("*2\r\n:1\r\n*1\r\n+x\r\n+next"), .value(.array([.integer(1), .array([.simple("x")])]), consumed: 16))
    }

    func testEveryPrefixOfAValueNeedsMore() {
        let whole = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
        let bytes = Array(whole.utf8)
        for n in 0..<bytes.count {
            XCTAssertEqual(RESPParser.parse(Array(bytes[..<n])), .needMore, "prefix of \(n) bytes")
        }
        XCTAssertEqual(RESPParser.parse(bytes), .value(.array([.bulk(Array("message".utf8)), .bulk(Array("ch".utf8)), .bulk(Array("hello".utf8))]), consumed: bytes.count))
    }

    func testMalformedInputHasADefinedAnswer() {
        for bad in ["?x\r\n", ":12a\r\n", ":\r\n", ":99999999999999999999\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "*-5\r\n",
                    "+a\rb\r\n", "+a\nb\r\n", ":-\r\n"] {
            guard case .invalid = parse(bad) else { return XCTFail("accepted \(bad.debugDescription)") }
        }
    }

    func testLimits() {
        var limits = RESPLimits()
        limits.maxBulkBytes = 4
        limits.maxArrayCount = 2
        limits.maxDepth = 2
        limits.maxLineBytes = 8
        guard case .invalid = parse("$5\r\n", limits) else { return XCTFail("bulk over the limit") }
        guard case .invalid = parse("*3\r\n", limits) else { return XCTFail("array over the limit") }
        guard case .invalid = parse("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", limits) else { return XCTFail("too deep") }
        guard case .invalid = parse("+0123456789", limits) else { return XCTFail("unterminated long line") }
        // A huge announced array does not allocate before its items arrive.
        XCTAssertEqual(parse("*1000000\r\n:1\r\n"), .needMore)
    }

    func testEncoder() {
        XCTAssertEqual(String(decoding: RESPEncoder.command("SET", "k", ""), as: UTF8.self), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
    }
}
