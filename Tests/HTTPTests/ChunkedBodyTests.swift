// Chunked transfer coding: sizes, extensions, CRLF after data, trailers and the body limit.
import XCTest
@testable import HTTP

final class ChunkedBodyTests: XCTestCase {
    private func chunked(_ body: String) -> String {
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    }

    func testChunksAreJoined() throws {
        let request = try XCTUnwrap(parseRequest(chunked("5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n")))
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), "hello 0123456789")
        XCTAssertFalse(request.headers.contains("name"))
    }

    func testHexSizesInBothCasesAndExtensions() throws {
        let body = String(repeating: "z", count: 0x1f)
        XCTAssertEqual(try XCTUnwrap(parseRequest(chunked("1f\r\n\(body)\r\n0\r\n\r\n"))).body.count, 0x1f)
        XCTAssertEqual(try XCTUnwrap(parseRequest(chunked("1F ; ext\r\n\(body)\r\n0;last\r\n\r\n"))).body.count, 0x1f)
    }

    func testTrailersAreParsedAndDiscarded() throws {
        let request = try XCTUnwrap(parseRequest(chunked("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n")))
        XCTAssertEqual(request.body, Array("abc".utf8))
        XCTAssertFalse(request.headers.contains("X-Checksum"))
    }

    func testTrailersCountAgainstHeaderLimits() {
        // Host + Transfer-Encoding = 2 fields; a third field in the trailer exceeds a count of 2.
        let error = parseError(chunked("0\r\nX: 1\r\n\r\n"), limits: HTTPLimits(maxHeaderCount: 2))
        XCTAssertEqual(error?.status, 431)
        let bytesError = parseError(chunked("0\r\nX: " + String(repeating: "a", count: 100) + "\r\n\r\n"), limits: HTTPLimits(maxHeaderBytes: 80))
        XCTAssertEqual(bytesError?.status, 431)
        XCTAssertEqual(parseError(chunked("0\r\nBad Name: 1\r\n\r\n"))?.status, 400)
    }

    func testMalformedChunks() {
        let cases: [(String, String)] = [
            ("\r\nabc\r\n0\r\n\r\n", "empty size"),
            ("g\r\n", "non-hex size"),
            ("-1\r\n", "negative"),
            ("0x3\r\nabc\r\n0\r\n\r\n", "0x prefix"),
            ("3 x\r\nabc\r\n0\r\n\r\n", "junk after size"),
            (" 3\r\nabc\r\n0\r\n\r\n", "leading space"),
            ("3\r\nabcX\r\n0\r\n\r\n", "no CRLF after data"),
            ("3\r\nabc\rX0\r\n\r\n", "CR then junk after data"),
            ("3\r\nabc\n0\r\n\r\n", "bare LF after data"),
            ("3\nabc\r\n0\r\n\r\n", "bare LF after size"),
            ("3;a\u{1}b\r\nabc\r\n0\r\n\r\n", "control char in extension"),
            ("00000000000000003\r\nabc\r\n0\r\n\r\n", "17 hex digits"),
            ("10000000000000000\r\n", "overflowing size"),
            ("0\r\n\n", "bare LF ending trailers"),
        ]
        for (body, label) in cases {
            let error = parseError(chunked(body))
            XCTAssertEqual(error?.status, 400, label)
            XCTAssertEqual(error?.code, "bad_request", label)
        }
    }

    func testSixteenHexDigitsAreAcceptedSyntacticallyButHitTheBodyLimit() {
        let error = parseError(chunked("ffffffffffffffff\r\n"))
        XCTAssertEqual(error?.status, 413)
        XCTAssertEqual(parseError(chunked("0000000000000003\r\nabc\r\n0\r\n\r\n")), nil)
    }

    func testBodyLimitCountsAllChunks() {
        let limits = HTTPLimits(maxBodyBytes: 8)
        XCTAssertNil(parseError(chunked("4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"), limits: limits))
        let error = parseError(chunked("4\r\nabcd\r\n5\r\nefghi\r\n0\r\n\r\n"), limits: limits)
        XCTAssertEqual(error?.status, 413)
        XCTAssertEqual(error?.code, "payload_too_large")
    }

    func testOverlongChunkSizeLineIsRefused() {
        let error = parseError(chunked("1;" + String(repeating: "e", count: HTTPRequestParser.maxChunkSizeLineBytes)))
        XCTAssertEqual(error?.status, 400)
    }
}
