// GraphClient against a real HTTP server on loopback: request shape, every answer kind, timeouts,
// dropped connections, concurrency, keep-alive reuse and shutdown.
import Foundation
import JSON
import Resilience
import XCTest
@testable import WhatsApp

/// Collects completions from the curl thread for the test thread.
final class ResultBox: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var results: [GraphResult] = []
    private let semaphore = DispatchSemaphore(value: 0)

    func put(_ result: GraphResult) {
        lock.lock()
        results.append(result)
        lock.unlock()
        semaphore.signal()
    }

    /// The results so far, without waiting.
    var received: [GraphResult] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }

    /// Waits for `count` results; fails the test on timeout.
    func wait(count: Int = 1, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line) -> [GraphResult] {
        let deadline = DispatchTime.now() + timeout
        for _ in 0..<count where semaphore.wait(timeout: deadline) == .timedOut {
            XCTFail("timed out waiting for Graph results", file: file, line: line)
            break
        }
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}

final class GraphClientLoopbackTests: XCTestCase {
    private var server: LoopbackGraphServer!
    private var client: GraphClient!

    override func setUpWithError() throws {
        server = try LoopbackGraphServer(slowDelay: 1.5)
        client = GraphClient(baseURL: server.baseURL + "/", accessToken: "TEST-TOKEN", connectTimeoutMs: 1000, totalTimeoutMs: 500)
    }

    override func tearDown() {
        client.shutdown()
        server.stop()
    }

    private let body = Array(#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"15551234567","type":"text","text":{"body":"olá / hi"}}"#.utf8)

    private func sendOne(_ phone: String, correlationID: String = "corr-1") -> GraphResult? {
        let box = ResultBox()
        client.send(phoneNumberID: phone, body: body, correlationID: correlationID) { box.put($0) }
        return box.wait().first
    }

    func testSuccessCarriesWamidAndServerSeesPathHeadersAndBody() throws {
        let result = try XCTUnwrap(sendOne("ok", correlationID: "corr-42"))
        guard case let .success(wamid, status, latency) = result else { return XCTFail("expected success, got \(result)") }
        XCTAssertTrue(wamid.hasPrefix("wamid.OK"))
        XCTAssertEqual(status, 200)
        XCTAssertGreaterThan(latency, 0)
        let seen = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(seen.method, "POST")
        XCTAssertEqual(seen.path, "/v21.0/ok/messages")
        XCTAssertEqual(seen.headers["authorization"], "Bearer TEST-TOKEN")
        XCTAssertEqual(seen.headers["content-type"], "application/json")
        XCTAssertEqual(seen.headers["x-request-id"], "corr-42")
        XCTAssertNil(seen.headers["expect"])
        XCTAssertEqual(seen.body, body)
    }

    func testGraphErrorBodyIsParsedIntoHTTPFailure() throws {
        let result = try XCTUnwrap(sendOne("e131047"))
        guard case let .failure(failure, _, raw) = result else { return XCTFail("expected failure, got \(result)") }
        XCTAssertEqual(failure, .http(
            status: 400, graphCode: 131047, subcode: 2494010, title: "(#131047) Re-engagement message",
            details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."))
        XCTAssertEqual(FailureClassifier.classify(failure).kind, .permanent)
        XCTAssertTrue(raw?.contains("fbtrace_id") ?? false)
    }

    func testServerErrorWithoutGraphBodyIsTransientHTTP500() throws {
        let result = try XCTUnwrap(sendOne("e500"))
        guard case let .failure(failure, _, raw) = result else { return XCTFail("expected failure, got \(result)") }
        XCTAssertEqual(failure, .http(status: 500, graphCode: nil, subcode: nil, title: nil, details: nil))
        XCTAssertEqual(FailureClassifier.classify(failure).kind, .transient)
        XCTAssertEqual(raw, "<html>upstream broke</html>")
    }

    func testSuccessStatusWithoutMessageIDIsPermanentFailure() throws {
        let result = try XCTUnwrap(sendOne("nomsg"))
        guard case let .failure(failure, _, _) = result else { return XCTFail("expected failure, got \(result)") }
        guard case let .http(status, code, _, title, _) = failure else { return XCTFail("expected http, got \(failure)") }
        XCTAssertEqual(status, 200)
        XCTAssertNil(code)
        XCTAssertEqual(title, "success response without messages[0].id")
        XCTAssertEqual(FailureClassifier.classify(failure).kind, .permanent)
    }

    func testAnswerSlowerThanTotalTimeoutIsTimeoutAfterRequestSent() throws {
        let result = try XCTUnwrap(sendOne("slow"))
        guard case let .failure(failure, latency, _) = result else { return XCTFail("expected failure, got \(result)") }
        XCTAssertEqual(failure, .timeout(afterRequestSent: true))
        XCTAssertGreaterThanOrEqual(latency, 450)
        XCTAssertLessThan(latency, 1400, "must not wait for the slow answer")
        XCTAssertEqual(server.requests.count, 1, "the server did receive the request")
    }

    func testConnectionClosedWithoutAnswerIsTransportFailure() throws {
        let result = try XCTUnwrap(sendOne("drop"))
        guard case let .failure(.transport(message), _, _) = result else { return XCTFail("expected transport, got \(result)") }
        XCTAssertTrue(message.hasPrefix("got_nothing"), message)
        XCTAssertEqual(FailureClassifier.classify(.transport(message)).kind, .transient)
    }

    func testRefusedConnectionIsTransportFailure() throws {
        let closedPort = try LoopbackGraphServer()
        closedPort.stop()
        let refused = GraphClient(baseURL: closedPort.baseURL, accessToken: "T", connectTimeoutMs: 1000, totalTimeoutMs: 1000)
        defer { refused.shutdown() }
        let box = ResultBox()
        refused.send(phoneNumberID: "ok", body: body, correlationID: "c") { box.put($0) }
        let result = try XCTUnwrap(box.wait().first)
        guard case let .failure(.transport(message), _, _) = result else { return XCTFail("expected transport, got \(result)") }
        XCTAssertTrue(message.hasPrefix("couldnt_connect"), message)
    }

    func testMarkReadSendsReadBodyAndSucceedsOnSuccessTrue() throws {
        let box = ResultBox()
        client.markRead(phoneNumberID: "ok", wamid: "wamid.IN1", correlationID: "r-1") { box.put($0) }
        let result = try XCTUnwrap(box.wait().first)
        guard case let .success(wamid, status, _) = result else { return XCTFail("expected success, got \(result)") }
        XCTAssertEqual(wamid, "wamid.IN1")
        XCTAssertEqual(status, 200)
        let seen = try XCTUnwrap(server.requests.first)
        let json = try JSONParser.parse(seen.body)
        XCTAssertEqual(json["messaging_product"]?.stringValue, "whatsapp")
        XCTAssertEqual(json["status"]?.stringValue, "read")
        XCTAssertEqual(json["message_id"]?.stringValue, "wamid.IN1")
    }

    func testFiftyConcurrentSendsAllComplete() throws {
        let box = ResultBox()
        for i in 0..<50 {
            client.send(phoneNumberID: "ok", body: body, correlationID: "c\(i)") { box.put($0) }
        }
        let results = box.wait(count: 50, timeout: 20)
        XCTAssertEqual(results.count, 50)
        var wamids = Set<String>()
        for result in results {
            guard case let .success(wamid, _, _) = result else { return XCTFail("expected success, got \(result)") }
            wamids.insert(wamid)
        }
        XCTAssertEqual(wamids.count, 50)
        XCTAssertEqual(Set(server.requests.compactMap { $0.headers["x-request-id"] }).count, 50)
    }

    func testSequentialSendsReuseOneKeepAliveConnection() throws {
        for i in 0..<5 {
            let result = try XCTUnwrap(sendOne("ok", correlationID: "seq\(i)"))
            guard case .success = result else { return XCTFail("expected success, got \(result)") }
        }
        XCTAssertEqual(server.requests.count, 5)
        XCTAssertLessThan(server.acceptedConnections, 5)
        XCTAssertEqual(server.acceptedConnections, 1)
    }

    func testShutdownFailsInFlightCallsAndLaterCallsAtOnce() throws {
        let slowClient = GraphClient(baseURL: server.baseURL, accessToken: "T", totalTimeoutMs: 10_000)
        let box = ResultBox()
        slowClient.send(phoneNumberID: "slow", body: body, correlationID: "s") { box.put($0) }
        // Wait until the server has the request, so the call is really in flight.
        let deadline = Date().addingTimeInterval(5)
        while server.requests.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        slowClient.shutdown()
        slowClient.shutdown()
        slowClient.send(phoneNumberID: "ok", body: body, correlationID: "late") { box.put($0) }
        let results = box.wait(count: 2)
        XCTAssertEqual(results.count, 2)
        for result in results {
            guard case let .failure(.transport(message), _, _) = result else { return XCTFail("expected transport, got \(result)") }
            XCTAssertTrue(message.hasPrefix("client_shutdown"), message)
        }
    }

    func testPhoneNumberIDIsPathEscaped() {
        XCTAssertEqual(client.messagesURL(phoneNumberID: "123"), server.baseURL + "/v21.0/123/messages")
        XCTAssertEqual(client.messagesURL(phoneNumberID: "../x?y"), server.baseURL + "/v21.0/..%2Fx%3Fy/messages")
        XCTAssertEqual(GraphClient.headerSafe("a\r\nX-Evil: 1"), "")
    }
}
