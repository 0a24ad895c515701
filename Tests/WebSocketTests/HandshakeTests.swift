// Opening handshake: accept value, request validation, 101 response bytes.
import XCTest
@testable import WebSocket

final class HandshakeTests: XCTestCase {
    private let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="

    private func validHeaders() -> [String: String] {
        ["upgrade": "websocket", "connection": "Upgrade", "sec-websocket-key": rfcKey, "sec-websocket-version": "13"]
    }

    private func validate(method: String = "GET", minor: Int = 1, _ headers: [String: String]) -> Result<String, WebSocketHandshakeError> {
        WebSocketHandshake.validate(method: method, versionMinor: minor) { headers[$0.lowercased()] }
    }

    private func expectFailure(_ result: Result<String, WebSocketHandshakeError>, status: Int, code: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .success(let accept): XCTFail("accepted with \(accept)", file: file, line: line)
        case .failure(let error):
            XCTAssertEqual(error.status, status, file: file, line: line)
            XCTAssertEqual(error.code, code, file: file, line: line)
        }
    }

    func testRFCExampleAcceptValue() {
        XCTAssertEqual(WebSocketHandshake.acceptValue(forKey: rfcKey), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testValidRequestReturnsAcceptValue() {
        XCTAssertEqual(try validate(validHeaders()).get(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testTokenListsAreCaseInsensitive() {
        var headers = validHeaders()
        headers["connection"] = "keep-alive, UPGRADE"
        headers["upgrade"] = "WebSocket"
        headers["sec-websocket-key"] = "  \(rfcKey) "
        XCTAssertEqual(try validate(headers).get(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testWrongMethodOrHTTPVersionIs400() {
        expectFailure(validate(method: "POST", validHeaders()), status: 400, code: "websocket_bad_method")
        expectFailure(validate(method: "get", validHeaders()), status: 400, code: "websocket_bad_method")
        expectFailure(validate(minor: 0, validHeaders()), status: 400, code: "websocket_bad_http_version")
    }

    func testMissingOrWrongUpgradeHeadersAre400() {
        var headers = validHeaders()
        headers["upgrade"] = nil
        expectFailure(validate(headers), status: 400, code: "websocket_missing_upgrade")
        headers["upgrade"] = "websocketx"
        expectFailure(validate(headers), status: 400, code: "websocket_missing_upgrade")
        headers = validHeaders()
        headers["connection"] = nil
        expectFailure(validate(headers), status: 400, code: "websocket_missing_connection_upgrade")
        headers["connection"] = "keep-alive"
        expectFailure(validate(headers), status: 400, code: "websocket_missing_connection_upgrade")
        headers["connection"] = "upgraded"
        expectFailure(validate(headers), status: 400, code: "websocket_missing_connection_upgrade")
    }

    func testBadKeysAre400() {
        let badKeys = [
            nil, "", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
            "dGhlIHNhbXBsZSBub25jZ!==", "dGhlIHNhbXBsZSBub25jZ-==", "dGhlIHNhbXBsZSBub25jZQdGhl",
            "AAAAAAAAAAAAAAAAAAAAAAAA",  // decodes to 18 bytes
        ]
        for key in badKeys {
            var headers = validHeaders()
            headers["sec-websocket-key"] = key
            expectFailure(validate(headers), status: 400, code: "websocket_bad_key")
        }
    }

    func testMissingVersionIs400() {
        var headers = validHeaders()
        headers["sec-websocket-version"] = nil
        expectFailure(validate(headers), status: 400, code: "websocket_missing_version")
    }

    func testVersion8Is426WithSupportedVersionHeader() throws {
        var headers = validHeaders()
        headers["sec-websocket-version"] = "8"
        guard case .failure(let error) = validate(headers) else { return XCTFail("version 8 accepted") }
        XCTAssertEqual(error.status, 426)
        XCTAssertEqual(error.code, "websocket_unsupported_version")
        XCTAssertEqual(error.headers.count, 1)
        XCTAssertEqual(error.headers.first?.0, "Sec-WebSocket-Version")
        XCTAssertEqual(error.headers.first?.1, "13")
    }

    func testSwitchingProtocolsResponseBytes() {
        let bytes = WebSocketHandshake.switchingProtocolsResponse(
            accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", extraHeaders: [("X-Request-Id", "abc"), ("X-Evil", "a\r\nSet-Cookie: x")])
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Request-Id: abc\r\n\r\n")
    }
}
