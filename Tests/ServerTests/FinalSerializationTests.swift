import XCTest
import HTTP
import Logging
@testable import Server

/// `serializeFinal` skips copying the response in the common case; its bytes must equal
/// `finalize` then `serialize` in every case, the common one and each that takes the slow path.
final class FinalSerializationTests: XCTestCase {
    private func makeServer() throws -> Server {
        var settings = ServerSettings()
        settings.threads = 1
        settings.corsOrigins = ["https://app.example"]
        return try Server(settings: settings, logger: Logger(label: "test"))
    }

    private func request(_ versionMinor: Int, _ headers: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: .get, target: "/x", versionMinor: versionMinor, headers: HTTPHeaders([("Host", "h")] + headers))
    }

    func testSameBytesAsFinalizeThenSerialize() throws {
        let server = try makeServer()
        let responses = [
            HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array("{}".utf8)),
            HTTPResponse(status: 204),
            HTTPResponse(status: 404, headers: HTTPHeaders([("x-request-id", "route-set"), ("Vary", "Accept")]), body: [1]),
            HTTPResponse(status: 200, headers: HTTPHeaders([("X-Request-ID", "a"), ("X-Request-ID", "b")])),
        ]
        let requests = [
            request(1, []),
            request(1, [("Connection", "close")]),
            request(0, []),
            request(0, [("Connection", "keep-alive")]),
            request(1, [("Origin", "https://app.example")]),
            request(1, [("Origin", "https://other.example")]),
        ]
        var checked = 0
        for response in responses {
            for req in requests {
                for keepAlive in [true, false] {
                    for head in [true, false] {
                        var expected: [UInt8] = [], actual: [UInt8] = []
                        server.finalize(response, request: req, requestID: "rid-7").serialize(into: &expected, keepAlive: keepAlive, headRequest: head)
                        server.serializeFinal(response, request: req, requestID: "rid-7", into: &actual, keepAlive: keepAlive, headRequest: head)
                        XCTAssertEqual(String(decoding: actual, as: UTF8.self), String(decoding: expected, as: UTF8.self),
                                       "\(response.status) \(req.headers) keepAlive \(keepAlive) head \(head)")
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 96)
    }

    func testCommonCaseAppendsTheRequestIDAfterTheRouteHeaders() throws {
        let server = try makeServer()
        var out: [UInt8] = []
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array("{}".utf8))
        server.serializeFinal(response, request: request(1, []), requestID: "rid-7", into: &out, keepAlive: true, headRequest: false)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-ID: rid-7\r\nContent-Length: 2\r\n\r\n{}")
    }
}
