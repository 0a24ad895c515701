// Request line: method, target, version, line endings and the 414 limit.
import XCTest
@testable import HTTP

final class RequestLineTests: XCTestCase {
    /// The parser splits the target itself; it must agree with HTTPRequest's own split.
    func testParserSplitsPathAndQueryAtTheFirstQuestionMark() throws {
        for target in ["/a", "/a?", "/?", "/a?b=1", "/a?b=1?c=2", "/a/b?x=%3F&y", "*", "http://x/a?q"] {
            let parsed = try XCTUnwrap(parseRequest("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n"), target)
            let built = HTTPRequest(method: .get, target: target)
            XCTAssertEqual(parsed.target, target)
            XCTAssertEqual(parsed.path, built.path, target)
            XCTAssertEqual(parsed.query, built.query, target)
        }
        XCTAssertEqual(try XCTUnwrap(parseRequest("GET /a?b=1?c=2 HTTP/1.1\r\nHost: x\r\n\r\n")).query, "b=1?c=2")
    }

    func testSimpleGet() throws {
        let request = try XCTUnwrap(parseRequest("GET /api/health?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(request.method, .get)
        XCTAssertEqual(request.target, "/api/health?verbose=1")
        XCTAssertEqual(request.path, "/api/health")
        XCTAssertEqual(request.query, "verbose=1")
        XCTAssertEqual(request.versionMinor, 1)
        XCTAssertEqual(request.headers["host"], "x")
        XCTAssertEqual(request.body, [])
        XCTAssertTrue(request.keepAlive)
    }

    func testHTTP10WithoutHost() throws {
        let request = try XCTUnwrap(parseRequest("GET / HTTP/1.0\r\n\r\n"))
        XCTAssertEqual(request.versionMinor, 0)
        XCTAssertFalse(request.keepAlive)
    }

    func testMethodsMapToCases() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n")).method, .delete)
        XCTAssertEqual(try XCTUnwrap(parseRequest("PURGE /x HTTP/1.1\r\nHost: x\r\n\r\n")).method, .other("PURGE"))
        XCTAssertEqual(try XCTUnwrap(parseRequest("get /x HTTP/1.1\r\nHost: x\r\n\r\n")).method, .other("get"))
        XCTAssertEqual(HTTPMethod("OPTIONS"), .options)
        XCTAssertEqual(HTTPMethod.other("PURGE").name, "PURGE")
        XCTAssertEqual(HTTPMethod.patch.name, "PATCH")
    }

    func testLeadingEmptyLinesAreSkippedUpToALimit() throws {
        let request = try XCTUnwrap(parseRequest("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(request.path, "/")
        let many = String(repeating: "\r\n", count: HTTPRequestParser.maxLeadingEmptyLines + 1) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        XCTAssertEqual(parseError(many)?.code, "bad_request")
    }

    func testMalformedRequestLines() {
        let cases: [(String, Int, String)] = [
            ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),          // double space
            ("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "bad_request"),          // trailing space
            (" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),          // leading space
            ("GET /\r\nHost: x\r\n\r\n", 400, "bad_request"),                    // no version
            ("GET\r\n\r\n", 400, "bad_request"),
            ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),          // '(' is not a tchar
            ("GE\u{1}T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GÉT / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET /a\u{7F}b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),  // DEL in target
            ("GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),      // tab in target
            ("GET /é HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),         // non-ASCII target
            ("GET / http/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET / HTTP/11\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET / HTTP/1.1\nHost: x\r\n\r\n", 400, "bad_request"),            // bare LF
            ("GET / HTTP/1.1\r\rHost: x\r\n\r\n", 400, "bad_request"),          // CR inside the line
            ("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),        // bare LF before request
            ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "version_not_supported"),
            ("GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505, "version_not_supported"),
            ("GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, "version_not_supported"),
        ]
        for (text, status, code) in cases {
            let error = parseError(text)
            XCTAssertEqual(error?.status, status, "\(text.debugDescription)")
            XCTAssertEqual(error?.code, code, "\(text.debugDescription)")
        }
    }

    func testRequestLineLimitIsInclusive() throws {
        let limits = HTTPLimits(maxRequestLineBytes: 30)
        let target = "/" + String(repeating: "a", count: 30 - "GET  HTTP/1.1".count - 1)
        let exact = "GET \(target) HTTP/1.1"
        XCTAssertEqual(exact.utf8.count, 30)
        XCTAssertNotNil(parseRequest(exact + "\r\nHost: x\r\n\r\n", limits: limits))
        let over = "GET \(target)a HTTP/1.1\r\nHost: x\r\n\r\n"
        XCTAssertEqual(parseError(over, limits: limits)?.status, 414)
        XCTAssertEqual(parseError(over, limits: limits)?.code, "uri_too_long")
    }

    func testLongRequestLineIsRefusedBeforeItsEndArrives() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxRequestLineBytes: 64))
        let start = parseOnce(&parser, "GET /" + String(repeating: "a", count: 50))
        guard case .needMore = start.result else { return XCTFail("expected needMore, got \(start.result)") }
        XCTAssertEqual(start.consumed, 0)
        let long = parseOnce(&parser, "GET /" + String(repeating: "a", count: 60))
        guard case .error(let error) = long.result else { return XCTFail("expected 414, got \(long.result)") }
        XCTAssertEqual(error.status, 414)
        XCTAssertEqual(long.consumed, 0, "an error consumes nothing")
        // Dead after an error.
        let again = parseOnce(&parser, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        guard case .error(let same) = again.result else { return XCTFail("parser revived") }
        XCTAssertEqual(same, error)
        XCTAssertEqual(again.consumed, 0)
    }

    func testAsteriskAndAbsoluteFormTargetsPassThrough() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")).path, "*")
        let absolute = try XCTUnwrap(parseRequest("GET http://x/a?b=c HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(absolute.path, "http://x/a")
        XCTAssertEqual(absolute.query, "b=c")
    }
}
