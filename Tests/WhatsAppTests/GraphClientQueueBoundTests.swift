// GraphClient's bound on outstanding calls: beyond it a call completes at once with a transient
// client_queue_full failure, mark-as-read calls may hold only half of it, and slots come back as
// calls complete. Against a loopback server that never answers, so nothing completes by itself.
import Foundation
import Resilience
import XCTest
@testable import WhatsApp

final class GraphClientQueueBoundTests: XCTestCase {
    private var server: LoopbackGraphServer!

    override func setUpWithError() throws {
        server = try LoopbackGraphServer()
    }

    override func tearDown() {
        server.stop()
    }

    private let body = Array(#"{"messaging_product":"whatsapp","to":"15551234567","type":"text","text":{"body":"hi"}}"#.utf8)

    private func assertQueueFull(_ results: [GraphResult], count: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(results.count, count, "refusals must complete before the call returns", file: file, line: line)
        for result in results {
            guard case let .failure(.transport(message), latency, _) = result else {
                XCTFail("expected transport failure, got \(result)", file: file, line: line)
                continue
            }
            XCTAssertTrue(message.hasPrefix("client_queue_full: "), message, file: file, line: line)
            XCTAssertEqual(latency, 0, file: file, line: line)
            XCTAssertEqual(FailureClassifier.classify(.transport(message)).kind, .transient, file: file, line: line)
        }
    }

    func testCallsBeyondTheBoundCompleteAtOnceAndNeverReachTheServer() throws {
        let client = GraphClient(baseURL: server.baseURL, accessToken: "T", connectTimeoutMs: 5000, totalTimeoutMs: 60_000,
                                 maxConcurrent: 2, maxPending: 4)
        XCTAssertEqual(client.maxPendingMarkReads, 2)
        let accepted = ResultBox()
        let refused = ResultBox()

        client.markRead(phoneNumberID: "hang", wamid: "wamid.R1", correlationID: "r1") { accepted.put($0) }
        client.markRead(phoneNumberID: "hang", wamid: "wamid.R2", correlationID: "r2") { accepted.put($0) }
        XCTAssertEqual(client.pendingCount, 2)
        // Mark-reads have used their half; sends still have room.
        client.markRead(phoneNumberID: "hang", wamid: "wamid.R3", correlationID: "r3") { refused.put($0) }
        assertQueueFull(refused.received, count: 1)
        if case let .failure(.transport(message), _, _)? = refused.received.first {
            XCTAssertTrue(message.contains("mark-as-read"), message)
        }

        client.send(phoneNumberID: "hang", body: body, correlationID: "s1") { accepted.put($0) }
        client.send(phoneNumberID: "hang", body: body, correlationID: "s2") { accepted.put($0) }
        XCTAssertEqual(client.pendingCount, 4)
        client.send(phoneNumberID: "hang", body: body, correlationID: "s3") { refused.put($0) }
        client.markRead(phoneNumberID: "hang", wamid: "wamid.R4", correlationID: "r4") { refused.put($0) }
        assertQueueFull(refused.received, count: 3)
        XCTAssertEqual(client.pendingCount, 4, "refusals take no slot")
        XCTAssertEqual(accepted.received.count, 0, "the server never answers, so nothing accepted has completed")

        // Two transfers run (maxConcurrent), two calls wait in the queue.
        let deadline = Date().addingTimeInterval(5)
        while server.requests.count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertEqual(client.pendingCount, 4)

        client.shutdown()
        let ended = accepted.wait(count: 4)
        XCTAssertEqual(ended.count, 4)
        for result in ended {
            guard case let .failure(.transport(message), _, _) = result else { return XCTFail("expected transport, got \(result)") }
            XCTAssertTrue(message.hasPrefix("client_shutdown"), message)
        }
        XCTAssertEqual(client.pendingCount, 0)
        XCTAssertEqual(Set(server.requests.compactMap { $0.headers["x-request-id"] }).intersection(["r3", "r4", "s3"]), [])
    }

    /// A slot is free before the completion runs, so a completion may make the next call.
    func testSlotsComeBackAsCallsComplete() throws {
        let client = GraphClient(baseURL: server.baseURL, accessToken: "T", maxPending: 1)
        defer { client.shutdown() }
        let box = ResultBox()
        let body = self.body
        client.send(phoneNumberID: "ok", body: body, correlationID: "first") { result in
            box.put(result)
            client.send(phoneNumberID: "ok", body: body, correlationID: "second") { box.put($0) }
        }
        let results = box.wait(count: 2)
        XCTAssertEqual(results.count, 2)
        for result in results {
            guard case .success = result else { return XCTFail("expected success, got \(result)") }
        }
        XCTAssertEqual(client.pendingCount, 0)
        // With the one slot taken, a mark-read (whose share rounds up to one) is refused at once.
        let hanging = ResultBox()
        client.send(phoneNumberID: "hang", body: body, correlationID: "third") { hanging.put($0) }
        client.markRead(phoneNumberID: "ok", wamid: "wamid.X", correlationID: "read") { hanging.put($0) }
        assertQueueFull(hanging.received, count: 1)
    }
}
