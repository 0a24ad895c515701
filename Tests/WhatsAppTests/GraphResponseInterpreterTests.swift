// Graph answers (and what proxies answer instead) mapped to GraphResult, without sockets.
import Resilience
import XCTest
@testable import WhatsApp

final class GraphResponseInterpreterTests: XCTestCase {
    private func result(_ kind: GraphCallKind = .send, status: Int, _ body: String) -> GraphResult {
        GraphResponseInterpreter.result(kind: kind, status: status, body: Array(body.utf8), latencyMs: 3)
    }

    func testSendSuccessTakesFirstMessageID() {
        XCTAssertEqual(
            result(status: 200, #"{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.X"}]}"#),
            .success(wamid: "wamid.X", httpStatus: 200, latencyMs: 3))
    }

    func testSuccessStatusWithBrokenOrEmptyBodiesIsHTTPFailureWithStatus() {
        for body in ["", "not json", #"{"messages":[]}"#, #"{"messages":[{"id":""}]}"#, #"{"messages":[{"id":5}]}"#] {
            guard case let .failure(.http(status, code, _, _, _), _, _) = result(status: 200, body) else {
                XCTFail("expected http failure for \(body)")
                continue
            }
            XCTAssertEqual(status, 200)
            XCTAssertNil(code)
        }
    }

    func testMarkReadNeedsSuccessTrue() {
        XCTAssertEqual(result(.markRead(wamid: "wamid.R"), status: 200, #"{"success":true}"#),
                       .success(wamid: "wamid.R", httpStatus: 200, latencyMs: 3))
        guard case .failure = result(.markRead(wamid: "wamid.R"), status: 200, #"{"success":false}"#) else {
            return XCTFail("success:false must fail")
        }
    }

    func testErrorEnvelopeWithMissingPartsAndWrongTypes() {
        XCTAssertEqual(
            result(status: 401, #"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"x"}}"#),
            .failure(.http(status: 401, graphCode: 190, subcode: nil, title: "Invalid OAuth access token.", details: nil),
                     latencyMs: 3, rawBody: #"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"x"}}"#))
        guard case let .failure(failure, _, _) = result(status: 429, #"{"error":{"code":"130429","message":7}}"#) else {
            return XCTFail("expected failure")
        }
        XCTAssertEqual(failure, .http(status: 429, graphCode: nil, subcode: nil, title: nil, details: nil))
        guard case let .failure(deep, _, _) = result(status: 502, String(repeating: "[", count: 1000)) else {
            return XCTFail("expected failure")
        }
        XCTAssertEqual(deep, .http(status: 502, graphCode: nil, subcode: nil, title: nil, details: nil))
    }

    func testRawBodyIsTruncated() {
        guard case let .failure(_, _, raw) = result(status: 500, String(repeating: "x", count: 10_000)) else {
            return XCTFail("expected failure")
        }
        XCTAssertEqual(raw?.utf8.count, GraphResponseInterpreter.rawBodyLimit)
    }
}
