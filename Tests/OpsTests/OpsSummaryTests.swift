import Foundation
import XCTest
@testable import Ops

final class OpsSummaryTests: XCTestCase {
    private func decode(_ s: OpsSummary) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.json())) as? [String: Any])
    }

    func testEmptySummaryNamesEveryFigureWithZeros() throws {
        let j = try decode(OpsSummary(nowMs: 42))
        XCTAssertEqual(j["now_ms"] as? Int, 42)
        let inbound = try XCTUnwrap(j["inbound"] as? [String: Any])
        XCTAssertEqual(Set(inbound.keys), ["pending", "processing", "oldest_pending_age_ms", "dead_letters", "webhooks_received",
                                           "signature_failures", "processed"])
        XCTAssertTrue(inbound["oldest_pending_age_ms"] is NSNull)
        XCTAssertEqual(inbound["processed"] as? [String: Int], ["done": 0, "retry": 0, "dead": 0])
        let outbound = try XCTUnwrap(j["outbound"] as? [String: Any])
        XCTAssertEqual(outbound["depth"] as? [String: Int], ["queued": 0, "retrying": 0, "sending": 0, "failed": 0])
        XCTAssertEqual(outbound["sends"] as? [String: Int], ["sent": 0, "failed": 0, "retried": 0])
        XCTAssertEqual(outbound["breaker"] as? String, "closed")
        XCTAssertEqual(outbound["configured"] as? Bool, false)
        XCTAssertTrue(outbound["breaker_open_until"] is NSNull, "a closed breaker has no open_until")
        let hub = try XCTUnwrap(j["hub"] as? [String: Any])
        XCTAssertEqual(Set(hub.keys), ["connections", "subscriptions", "topics", "events_published", "events_delivered", "slow_consumer_closes"])
        XCTAssertEqual(j["alerts_firing"] as? Int, 0)
        XCTAssertTrue(j["health"] is NSNull, "no report yet")
    }

    func testFiguresLandInTheirFields() throws {
        var s = OpsSummary(nowMs: 1)
        s.inbound.pending = 3
        s.inbound.oldestPendingAgeMs = 1500
        s.inbound.processed = ["done": 7]
        s.outbound.configured = true
        s.outbound.depth = ["queued": 2, "sent": 9]
        s.outbound.breaker = "open"
        s.outbound.breakerOpenUntilMs = 1_800_000_012_000
        s.hub.eventsDelivered = 1234
        s.alertsFiring = 2
        s.healthJSON = Array(#"{"status":"ok","services":{}}"#.utf8)
        let j = try decode(s)
        let inbound = try XCTUnwrap(j["inbound"] as? [String: Any])
        XCTAssertEqual(inbound["pending"] as? Int, 3)
        XCTAssertEqual(inbound["oldest_pending_age_ms"] as? Int, 1500)
        XCTAssertEqual((inbound["processed"] as? [String: Int])?["done"], 7)
        let outbound = try XCTUnwrap(j["outbound"] as? [String: Any])
        XCTAssertEqual(outbound["depth"] as? [String: Int], ["queued": 2, "retrying": 0, "sending": 0, "failed": 0, "sent": 9])
        XCTAssertEqual(outbound["breaker"] as? String, "open")
        XCTAssertEqual(outbound["breaker_open_until"] as? Int, 1_800_000_012_000)
        XCTAssertEqual((j["hub"] as? [String: Any])?["events_delivered"] as? Int, 1234)
        XCTAssertEqual(j["alerts_firing"] as? Int, 2)
        XCTAssertEqual((j["health"] as? [String: Any])?["status"] as? String, "ok")
    }
}
