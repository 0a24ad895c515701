// Header fields: syntax, limits (431) and the framing rules that stop request smuggling.
import XCTest
@testable import HTTP

final class HeaderFieldTests: XCTestCase {
    func testValuesAreTrimmedAndOrderIsKept() throws {
        let request = try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nHost: x\r\nX-A:  one \t\r\nx-a:two\r\nEmpty:\r\n\r\n"))
        XCTAssertEqual(request.headers.values("X-A"), ["one", "two"])
        XCTAssertEqual(request.headers["empty"], "")
        XCTAssertEqual(request.headers.count, 4)
        XCTAssertEqual(Array(request.headers).map(\.name), ["Host", "X-A", "x-a", "Empty"])
    }

    func testValueMayHoldTabsAndObsText() throws {
        let request = try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nHost: x\r\nX: a\tb ü\r\n\r\n"))
        XCTAssertEqual(request.headers["x"], "a\tb ü")
    }

    func testMalformedFields() {
        let cases: [(String, String)] = [
            ("Host: x\r\nX-A : v\r\n", "space before colon"),
            ("Host: x\r\nX-A\t: v\r\n", "tab before colon"),
            ("Host: x\r\nX-A: v\r\n continued\r\n", "obs-fold with space"),
            ("Host: x\r\nX-A: v\r\n\tcontinued\r\n", "obs-fold with tab"),
            (" Host: x\r\n", "first line folded"),
            ("Host: x\r\nNoColon\r\n", "no colon"),
            ("Host: x\r\n: empty-name\r\n", "empty name"),
            ("Host: x\r\nX(A): v\r\n", "non-token name"),
            ("Host: x\r\nX-A: a\u{1}b\r\n", "control char"),
            ("Host: x\r\nX-A: a\u{0}b\r\n", "NUL"),
            ("Host: x\r\nX-A: a\u{7F}b\r\n", "DEL"),
            ("Host: x\r\nX-A: a\rb\r\n", "bare CR"),
            ("Host: x\nX-A: v\r\n", "bare LF"),
            ("Host: x\r\nHost: y\r\n", "two Host"),
        ]
        for (headers, label) in cases {
            let error = parseError("GET / HTTP/1.1\r\n" + headers + "\r\n")
            XCTAssertEqual(error?.status, 400, label)
            XCTAssertEqual(error?.code, "bad_request", label)
        }
    }

    func testObsFoldIsNamedInTheMessage() {
        XCTAssertEqual(parseError("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n")?.message, "obsolete line folding")
    }

    func testBareLFEndingTheHeaderSection() {
        XCTAssertEqual(parseError("GET / HTTP/1.1\r\nHost: x\r\n\n")?.code, "bad_request")
    }

    func testHTTP11RequiresHost() {
        XCTAssertEqual(parseError("GET / HTTP/1.1\r\n\r\n")?.status, 400)
        XCTAssertNil(parseError("GET / HTTP/1.1\r\nHOST: x\r\n\r\n"))
    }

    func testHeaderCountLimit() {
        let limits = HTTPLimits(maxHeaderCount: 3)
        XCTAssertNil(parseError("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits))
        let error = parseError("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)
        XCTAssertEqual(error?.status, 431)
        XCTAssertEqual(error?.code, "headers_too_large")
    }

    func testHeaderCountLimitHitsBeforeTheSectionEnds() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxHeaderCount: 2))
        let result = parseOnce(&parser, "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n")
        guard case .error(let error) = result.result else { return XCTFail("got \(result.result)") }
        XCTAssertEqual(error.status, 431)
    }

    func testHeaderBytesLimitIsInclusive() {
        // "Host: x\r\n" (9) + "A: 12345\r\n" (10) + "\r\n" (2) = 21
        let text = "GET / HTTP/1.1\r\nHost: x\r\nA: 12345\r\n\r\n"
        XCTAssertNil(parseError(text, limits: HTTPLimits(maxHeaderBytes: 21)))
        XCTAssertEqual(parseError(text, limits: HTTPLimits(maxHeaderBytes: 20))?.status, 431)
    }

    func testOversizedHeaderLineIsRefusedBeforeItsEndArrives() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxHeaderBytes: 100))
        let first = parseOnce(&parser, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 50))
        guard case .needMore = first.result else { return XCTFail("got \(first.result)") }
        XCTAssertEqual(first.consumed, "GET / HTTP/1.1\r\nHost: x\r\n".utf8.count)
        XCTAssertTrue(parser.isMidRequest)
        XCTAssertFalse(parser.headersComplete)
        let second = parseOnce(&parser, "X-Big: " + String(repeating: "a", count: 100))
        guard case .error(let error) = second.result else { return XCTFail("got \(second.result)") }
        XCTAssertEqual(error.status, 431)
    }

    // MARK: - Framing

    func testContentLengthBody() throws {
        let request = try XCTUnwrap(parseRequest("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"))
        XCTAssertEqual(request.body, Array("hello".utf8))
        XCTAssertEqual(request.method, .post)
    }

    func testZeroContentLengthAndLeadingZeros() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).body, [])
        XCTAssertEqual(try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 003\r\n\r\nabc")).body, Array("abc".utf8))
    }

    func testMalformedContentLength() {
        for value in ["", "-1", "+1", "1.0", "0x10", "1 2", "12a", "5, 5", "99999999999999999999999", "١"] {
            let error = parseError("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(value)\r\n\r\n")
            XCTAssertEqual(error?.status, 400, "Content-Length: \(value)")
            XCTAssertEqual(error?.code, "bad_request", "Content-Length: \(value)")
        }
    }

    func testDuplicateContentLengthIsSmuggling() {
        for pair in [("5", "5"), ("5", "6")] {
            let error = parseError("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(pair.0)\r\nContent-Length: \(pair.1)\r\n\r\nhello")
            XCTAssertEqual(error?.status, 400)
            XCTAssertEqual(error?.code, "request_smuggling")
        }
    }

    func testTransferEncodingWithContentLengthIsSmuggling() {
        for order in ["Transfer-Encoding: chunked\r\nContent-Length: 3", "Content-Length: 3\r\nTransfer-Encoding: chunked"] {
            let error = parseError("POST / HTTP/1.1\r\nHost: x\r\n\(order)\r\n\r\n0\r\n\r\n")
            XCTAssertEqual(error?.status, 400)
            XCTAssertEqual(error?.code, "request_smuggling")
        }
    }

    func testUnsupportedTransferEncodings() {
        for headers in ["Transfer-Encoding: gzip", "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, chunked",
                        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "Transfer-Encoding: chunkedx", "Transfer-Encoding:"] {
            let error = parseError("POST / HTTP/1.1\r\nHost: x\r\n\(headers)\r\n\r\n0\r\n\r\n")
            XCTAssertEqual(error?.status, 501, headers)
            XCTAssertEqual(error?.code, "unsupported_transfer_encoding", headers)
        }
        XCTAssertNil(parseError("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ChUnKeD \r\n\r\n0\r\n\r\n"))
    }

    func testHTTP10WithTransferEncodingIsRefused() {
        let error = parseError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        XCTAssertEqual(error?.status, 400)
        XCTAssertEqual(error?.code, "bad_request")
    }

    func testContentLengthOverLimitIsRefusedAtHeaderTime() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 10))
        let result = parseOnce(&parser, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
        guard case .error(let error) = result.result else { return XCTFail("got \(result.result)") }
        XCTAssertEqual(error.status, 413)
        XCTAssertEqual(error.code, "payload_too_large")
        XCTAssertNil(parseError("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", limits: HTTPLimits(maxBodyBytes: 10)))
    }

    // MARK: - keep-alive

    func testKeepAliveRules() throws {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n", true),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
            ("GET / HTTP/1.0\r\nConnection: foo,  Keep-Alive \r\n\r\n", true),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try XCTUnwrap(parseRequest(text)).keepAlive, expected, text.debugDescription)
        }
    }
}
