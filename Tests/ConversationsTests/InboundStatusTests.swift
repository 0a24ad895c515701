// Delivery statuses: unique per (wamid, status), monotonic, failed final, early statuses kept.
import XCTest
@testable import Conversations
import Store
import WhatsApp

final class InboundStatusTests: XCTestCase {
    let bob = "15550001111"

    private func messageStatus(_ store: TestStore, _ wamid: String) throws -> String? {
        try store.text("SELECT status FROM messages WHERE wamid = ?", [.text(wamid)])
    }

    func testStatusesInOrderEachYieldAnEvent() throws {
        let store = try TestStore()
        let messageID = try store.insertOutbound(wamid: "wamid.O1", waID: bob)
        var applied: [String] = []
        for (offset, status) in ["sent", "delivered", "read"].enumerated() {
            let events = try store.apply(Payload.status("wamid.O1", status, timestamp: 1_700_000_000 + Int64(offset)))
            XCTAssertEqual(events.map(\.type), ["message.status"], status)
            XCTAssertEqual(events.first?.topic, "conversation.\(bob)")
            let data = try XCTUnwrap(events.first).object
            XCTAssertEqual((data["message_id"] as? NSNumber)?.int64Value, messageID)
            XCTAssertEqual(data["wamid"] as? String, "wamid.O1")
            XCTAssertEqual((data["timestamp"] as? NSNumber)?.int64Value, 1_700_000_000 + Int64(offset))
            XCTAssertEqual((data["errors"] as? [Any])?.count, 0)
            applied.append(data["status"] as? String ?? "")
        }
        XCTAssertEqual(applied, ["sent", "delivered", "read"])
        XCTAssertEqual(try messageStatus(store, "wamid.O1"), "read")
        XCTAssertEqual(try store.count("SELECT status_rank FROM messages WHERE wamid = 'wamid.O1'"), 3)
    }

    func testOutOfOrderStatusesEndAtTheHighestAndOnlyTheAppliedOneYieldsAnEvent() throws {
        let store = try TestStore()
        _ = try store.insertOutbound(wamid: "wamid.O2", waID: bob)
        let read = try store.apply(Payload.status("wamid.O2", "read", timestamp: 1_700_000_003))
        let delivered = try store.apply(Payload.status("wamid.O2", "delivered", timestamp: 1_700_000_002))
        let sent = try store.apply(Payload.status("wamid.O2", "sent", timestamp: 1_700_000_001))
        XCTAssertEqual(read.map { $0.object["status"] as? String }, ["read"])
        XCTAssertEqual(delivered, [])
        XCTAssertEqual(sent, [])
        XCTAssertEqual(try messageStatus(store, "wamid.O2"), "read")
        // The late ones are still on record.
        XCTAssertEqual(try store.count("SELECT count(*) FROM statuses WHERE wamid = 'wamid.O2'"), 3)
        let rows = try ConversationQueries.messages(store.conversations, waID: bob).items
        XCTAssertEqual(rows.first?.statuses.map(\.status), ["read", "delivered", "sent"])
    }

    func testFailedIsFinalAndKeepsItsErrors() throws {
        let store = try TestStore()
        _ = try store.insertOutbound(wamid: "wamid.O3", waID: bob)
        try store.apply(Payload.status("wamid.O3", "sent", timestamp: 1_700_000_001))
        let failed = try store.apply(Payload.status("wamid.O3", "failed", timestamp: 1_700_000_002, errorCode: 131047))
        XCTAssertEqual(failed.map(\.type), ["message.status"])
        let errors = try XCTUnwrap(failed.first?.object["errors"] as? [[String: Any]])
        XCTAssertEqual((errors.first?["code"] as? NSNumber)?.intValue, 131047)
        XCTAssertEqual((errors.first?["error_data"] as? [String: Any])?["details"] as? String, "too late")

        XCTAssertEqual(try store.apply(Payload.status("wamid.O3", "read", timestamp: 1_700_000_003)), [])
        XCTAssertEqual(try messageStatus(store, "wamid.O3"), "failed")
        XCTAssertTrue(try store.text("SELECT error_json FROM messages WHERE wamid = 'wamid.O3'")?.contains("131047") == true)
        XCTAssertTrue(try store.text("SELECT errors_json FROM statuses WHERE wamid = 'wamid.O3' AND status = 'failed'")?
            .contains("131047") == true)
    }

    func testADuplicateStatusYieldsNothing() throws {
        let store = try TestStore()
        _ = try store.insertOutbound(wamid: "wamid.O4", waID: bob)
        XCTAssertEqual(try store.apply(Payload.status("wamid.O4", "delivered", timestamp: 1)).count, 1)
        XCTAssertEqual(try store.apply(Payload.status("wamid.O4", "delivered", timestamp: 2)), [])
        XCTAssertEqual(try store.count("SELECT timestamp_s FROM statuses WHERE wamid = 'wamid.O4'"), 1, "first one kept")
    }

    func testPlayedAndUnknownStatusesNeverBreakTheApply() throws {
        let store = try TestStore()
        _ = try store.insertOutbound(wamid: "wamid.O5", waID: bob)
        XCTAssertEqual(try store.apply(Payload.status("wamid.O5", "played", timestamp: 1)).map(\.type), ["message.status"])
        XCTAssertEqual(try messageStatus(store, "wamid.O5"), "played")
        XCTAssertEqual(try store.apply(Payload.status("wamid.O5", "deleted", timestamp: 2)), [])
        XCTAssertEqual(try messageStatus(store, "wamid.O5"), "played")
    }

    func testAStatusBeforeItsInboundMessageIsAppliedWhenTheMessageArrives() throws {
        let store = try TestStore()
        XCTAssertEqual(try store.apply(Payload.status("wamid.EARLY", "delivered", timestamp: 1)), [])
        XCTAssertEqual(try store.apply(Payload.status("wamid.EARLY", "read", timestamp: 2)), [])
        let events = try store.apply(Payload.text(from: bob, wamid: "wamid.EARLY", timestamp: 1_700_000_000, body: "x"))
        XCTAssertEqual(events.first?.type, "message.received")
        XCTAssertEqual(events.first?.object["status"] as? String, "read")
        XCTAssertEqual(try messageStatus(store, "wamid.EARLY"), "read")
    }

    func testTheSenderCanApplyStatusesThatBeatItsOwnInsert() throws {
        let store = try TestStore()
        try store.apply(Payload.status("wamid.RACE", "sent", timestamp: 1))
        try store.apply(Payload.status("wamid.RACE", "failed", timestamp: 2, errorCode: 131026))
        try store.apply(Payload.status("wamid.RACE", "delivered", timestamp: 3))
        let messageID = try store.insertOutbound(wamid: "wamid.RACE", waID: bob)
        XCTAssertEqual(try InboundApplier.applyRecordedStatuses(in: store.conversations, messageID: messageID), "failed")
        XCTAssertEqual(try messageStatus(store, "wamid.RACE"), "failed")
        XCTAssertTrue(try store.text("SELECT error_json FROM messages WHERE id = ?", [.int(messageID)])?.contains("131026") == true)
        XCTAssertNil(try InboundApplier.applyRecordedStatuses(in: store.conversations, messageID: messageID), "nothing left to apply")
        XCTAssertNil(try InboundApplier.applyRecordedStatuses(in: store.conversations, messageID: 9_999))
    }

    func testTheStatusesFixtureAppliesPerMessage() throws {
        let store = try TestStore()
        _ = try store.insertOutbound(wamid: "wamid.OUT1", waID: "15551230001")
        _ = try store.insertOutbound(wamid: "wamid.OUT2", waID: "15551230001")
        let events = try store.apply(fixture: "statuses")
        XCTAssertEqual(events.map { $0.object["status"] as? String }, ["sent", "delivered", "read", "failed"])
        XCTAssertEqual(try messageStatus(store, "wamid.OUT1"), "read")
        XCTAssertEqual(try messageStatus(store, "wamid.OUT2"), "failed")
        XCTAssertEqual(try store.count("SELECT count(*) FROM statuses"), 5, "OUT3 (not stored) is recorded too")
    }
}
