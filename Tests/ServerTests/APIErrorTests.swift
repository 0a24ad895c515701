import XCTest
@testable import Server

final class APIErrorTests: XCTestCase {
    func testEnvelopeShapeAndEscaping() {
        let r = APIError(status: 400, code: "bad_request", message: "quote \" and\nnewline").response(requestID: "rid-1")
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.headers["Content-Type"], "application/json")
        let body = String(decoding: r.body, as: UTF8.self)
        XCTAssertEqual(body, #"{"error":{"code":"bad_request","message":"quote \" and\nnewline","request_id":"rid-1"}}"#)
    }

    func testRequestIDSanity() {
        XCTAssertTrue(Server.isSafeID("abc-123_x.y:z"))
        XCTAssertFalse(Server.isSafeID(""))
        XCTAssertFalse(Server.isSafeID("has space"))
        XCTAssertFalse(Server.isSafeID(String(repeating: "a", count: 129)))
        XCTAssertFalse(Server.isSafeID("new\nline"))
        XCTAssertNotEqual(Server.generateRequestID(), Server.generateRequestID())
    }
}
