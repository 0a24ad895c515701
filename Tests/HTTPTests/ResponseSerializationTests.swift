// Response wire format: status line, framing headers, HEAD, bodyless statuses, header sanitizing.
import XCTest
@testable import HTTP

final class ResponseSerializationTests: XCTestCase {
    private func wire(_ response: HTTPResponse, keepAlive: Bool = true, head: Bool = false) -> String {
        var out: [UInt8] = Array("prefix|".utf8)
        response.serialize(into: &out, keepAlive: keepAlive, headRequest: head)
        return String(decoding: out, as: UTF8.self)
    }

    func testOKWithBodyAppendsToExistingBytes() {
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array("{}".utf8))
        XCTAssertEqual(wire(response), "prefix|HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    }

    func testConnectionCloseWhenNotKeepingAlive() {
        let response = HTTPResponse(status: 404, headers: HTTPHeaders([("Connection", "keep-alive")]))
        XCTAssertEqual(wire(response, keepAlive: false), "prefix|HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    func testContentLengthDigitsAtEveryWidth() {
        for length in [0, 1, 9, 10, 99, 100, 999, 1000, 65_536, 1_000_001] {
            let response = HTTPResponse(status: 200, body: [UInt8](repeating: 0x61, count: length))
            XCTAssertTrue(wire(response, head: true).hasSuffix("\r\nContent-Length: \(length)\r\n\r\n"), "\(length)")
        }
    }

    func testHeadHasLengthButNoBody() {
        let response = HTTPResponse(status: 200, body: Array("hello".utf8))
        XCTAssertEqual(wire(response, head: true), "prefix|HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    func testBodylessStatusesHaveNoLengthAndNoBody() {
        for status in [101, 204, 304] {
            let response = HTTPResponse(status: status, headers: HTTPHeaders([("Content-Length", "9")]), body: Array("ignored".utf8))
            XCTAssertEqual(wire(response), "prefix|HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n\r\n")
        }
    }

    func testCallerFramingHeadersAreReplaced() {
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("content-length", "99"), ("Transfer-Encoding", "chunked")]), body: [1, 2])
        XCTAssertEqual(wire(response), "prefix|HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\u{1}\u{2}")
    }

    func testHeaderInjectionIsNeutralised() {
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("X-A", "v\r\nSet-Cookie: evil"), ("X\nB", "1")]))
        XCTAssertEqual(wire(response), "prefix|HTTP/1.1 200 OK\r\nX-A: v  Set-Cookie: evil\r\nX B: 1\r\nContent-Length: 0\r\n\r\n")
    }

    func testOutOfRangeStatusBecomes500() {
        XCTAssertTrue(wire(HTTPResponse(status: 42)).hasPrefix("prefix|HTTP/1.1 500 Internal Server Error\r\n"))
        XCTAssertTrue(wire(HTTPResponse(status: 599)).hasPrefix("prefix|HTTP/1.1 599 Unknown\r\n"))
    }

    func testReasonPhrases() {
        XCTAssertEqual(HTTPStatus.reason(431), "Request Header Fields Too Large")
        XCTAssertEqual(HTTPStatus.reason(413), "Content Too Large")
        XCTAssertEqual(HTTPStatus.reason(101), "Switching Protocols")
    }

    func testSerializedRequestErrorsRoundTripThroughTheParserStatusSet() {
        // Every status the parser can produce has a real reason phrase.
        for status in [400, 413, 414, 431, 501, 505] {
            XCTAssertNotEqual(HTTPStatus.reason(status), "Unknown", "\(status)")
        }
    }
}
