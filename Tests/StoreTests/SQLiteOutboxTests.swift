// The outbox lifecycle: enqueue with its message row, idempotency keys, heads of line per
// recipient, sent/retrying/failed, and what a restart resumes.
import XCTest
@testable import Store

final class SQLiteOutboxTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var db: Database!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        db = try Database(path: scratch.path("outbox.sqlite"))
        try Migrations.apply(db)
    }

    override func tearDown() {
        db = nil
        scratch = nil
    }

    private func message(_ id: String, to: String = "111", phone: String = "900", key: String? = nil, text: String = "hi") -> NewOutboundMessage {
        NewOutboundMessage(id: id, toWaID: to, phoneNumberID: phone, type: "text", contentJSON: #"{"body":"\#(text)"}"#,
                           payloadJSON: #"{"to":"\#(to)","text":{"body":"\#(text)"}}"#, preview: text,
                           idempotencyKey: key, correlationID: "corr-\(id)")
    }

    @discardableResult
    private func enqueue(_ m: NewOutboundMessage, at ms: Int64 = 1_000) throws -> OutboxRow {
        switch try SQLiteOutbox.enqueue(db, m, nowMs: ms) {
        case .created(let row): return row
        case .existing(let row): XCTFail("unexpected existing \(row.id)"); return row
        }
    }

    func testEnqueueCreatesOutboxRowMessageRowAndConversation() throws {
        let row = try enqueue(message("m1", to: "4912345", phone: "900", text: "hello"))
        XCTAssertEqual(row.status, "queued")
        XCTAssertEqual(row.attempts, 0)
        XCTAssertEqual(row.type, "text")
        XCTAssertEqual(row.deliveryStatus, "queued")
        XCTAssertEqual(row.correlationID, "corr-m1")
        let stored = try db.firstRow("SELECT direction, status, body_json, preview, conversation_id FROM messages WHERE id = ?",
                                      [.int(row.messageID ?? -1)]) { ($0.text(0), $0.text(1), $0.text(2), $0.text(3), $0.int64(4)) }
        let m = try XCTUnwrap(stored)
        XCTAssertEqual(m.0, "out")
        XCTAssertEqual(m.1, "queued")
        XCTAssertEqual(m.2, #"{"body":"hello"}"#)
        XCTAssertEqual(m.3, "hello")
        let conversation = try db.firstRow("SELECT phone_number_id, wa_id, last_message_preview FROM conversations WHERE id = ?",
                                           [.int(m.4)]) { ($0.text(0), $0.text(1), $0.text(2)) }
        let c = try XCTUnwrap(conversation)
        XCTAssertEqual(c.0, "900")
        XCTAssertEqual(c.1, "4912345")
        XCTAssertEqual(c.2, "hello")
        // A second message to the same customer on the same number reuses the conversation;
        // another number is another conversation.
        let again = try enqueue(message("m2", to: "4912345", phone: "900"))
        let other = try enqueue(message("m3", to: "4912345", phone: "901"))
        XCTAssertEqual(again.conversationID, row.conversationID)
        XCTAssertNotEqual(other.conversationID, row.conversationID)
    }

    func testIdempotencyKeyReturnsTheFirstRowAndWritesNothing() throws {
        let first = try enqueue(message("m1", key: "k-1"))
        let outcome = try SQLiteOutbox.enqueue(db, message("m2", key: "k-1", text: "other"), nowMs: 2_000)
        XCTAssertEqual(outcome, .existing(first))
        XCTAssertEqual(try db.firstRow("SELECT count(*) FROM outbox") { $0.int64(0) }, 1)
        XCTAssertEqual(try db.firstRow("SELECT count(*) FROM messages") { $0.int64(0) }, 1)
        XCTAssertEqual(try SQLiteOutbox.find(db, idempotencyKey: "k-1")?.id, "m1")
        XCTAssertNil(try SQLiteOutbox.find(db, idempotencyKey: "k-2"))
    }

    func testDueHeadsGivesOnlyTheOldestUnfinishedRowPerRecipient() throws {
        try enqueue(message("a1", to: "111"))
        try enqueue(message("b1", to: "222"))
        try enqueue(message("a2", to: "111"))
        try enqueue(message("c1", to: "111", phone: "901"))  // same customer, other number: own line
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 1_000, limit: 10).map(\.id), ["a1", "b1", "c1"])
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 1_000, limit: 2).map(\.id), ["a1", "b1"])

        // a1 waits for a retry: a2 must not overtake it, even though a2 is due.
        XCTAssertTrue(try SQLiteOutbox.markRetrying(db, id: "a1", attempts: 1, nextAttemptAtMs: 5_000, lastError: "{}", nowMs: 1_100))
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 2_000, limit: 10).map(\.id), ["b1", "c1"])
        XCTAssertEqual(try SQLiteOutbox.nextDueAtMs(db), 1_000)
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 5_000, limit: 10).map(\.id), ["a1", "b1", "c1"])

        // Once a1 is sent, a2 becomes the head.
        XCTAssertTrue(try SQLiteOutbox.markSent(db, id: "a1", wamid: "wamid.A1", attempts: 2, nowMs: 5_100))
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 5_100, limit: 10).map(\.id), ["b1", "a2", "c1"])
        // A failed head also frees the line.
        XCTAssertTrue(try SQLiteOutbox.markFailed(db, id: "b1", attempts: 1, lastError: "{}", errorJSON: "[]", nowMs: 5_200))
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 5_200, limit: 10).map(\.id), ["a2", "c1"])
    }

    func testMarkSentStoresTheWamidOnBothRowsAndNeverRegressesTheMessage() throws {
        let row = try enqueue(message("m1"))
        XCTAssertTrue(try SQLiteOutbox.markSent(db, id: "m1", wamid: "wamid.X", attempts: 3, nowMs: 2_000))
        let sent = try XCTUnwrap(try SQLiteOutbox.load(db, id: "m1"))
        XCTAssertEqual(sent.status, "sent")
        XCTAssertEqual(sent.wamid, "wamid.X")
        XCTAssertEqual(sent.attempts, 3)
        XCTAssertNil(sent.nextAttemptAtMs)
        XCTAssertEqual(sent.deliveryStatus, "sent")
        XCTAssertEqual(try db.firstRow("SELECT wamid FROM messages WHERE id = ?", [.int(row.messageID ?? -1)]) { $0.text(0) }, "wamid.X")
        // A finished row changes no more.
        XCTAssertFalse(try SQLiteOutbox.markSent(db, id: "m1", wamid: "wamid.Y", attempts: 4, nowMs: 3_000))
        XCTAssertFalse(try SQLiteOutbox.markRetrying(db, id: "m1", attempts: 4, nextAttemptAtMs: 9, lastError: "{}", nowMs: 3_000))
        XCTAssertFalse(try SQLiteOutbox.markFailed(db, id: "m1", attempts: 4, lastError: "{}", errorJSON: "[]", nowMs: 3_000))
        XCTAssertEqual(try SQLiteOutbox.load(db, id: "m1")?.wamid, "wamid.X")
        XCTAssertFalse(try SQLiteOutbox.markSent(db, id: "nope", wamid: "wamid.Z", attempts: 1, nowMs: 3_000))
    }

    func testMarkSentKeepsAStatusThatArrivedFirst() throws {
        let row = try enqueue(message("m1"))
        // A "read" webhook applied before the send was recorded (rank 3).
        try db.run("UPDATE messages SET status = 'read', status_rank = 3 WHERE id = ?", [.int(row.messageID ?? -1)])
        XCTAssertTrue(try SQLiteOutbox.markSent(db, id: "m1", wamid: "wamid.X", attempts: 1, nowMs: 2_000))
        XCTAssertEqual(try SQLiteOutbox.load(db, id: "m1")?.deliveryStatus, "read")
    }

    func testMarkFailedRecordsTheErrorOnTheMessage() throws {
        let row = try enqueue(message("m1"))
        XCTAssertTrue(try SQLiteOutbox.markFailed(db, id: "m1", attempts: 1, lastError: #"{"code":131047}"#,
                                                 errorJSON: #"[{"code":131047}]"#, nowMs: 2_000))
        let failed = try XCTUnwrap(try SQLiteOutbox.load(db, id: "m1"))
        XCTAssertEqual(failed.status, "failed")
        XCTAssertEqual(failed.lastError, #"{"code":131047}"#)
        XCTAssertEqual(failed.deliveryStatus, "failed")
        XCTAssertEqual(try db.firstRow("SELECT error_json FROM messages WHERE id = ?", [.int(row.messageID ?? -1)]) { $0.text(0) },
                       #"[{"code":131047}]"#)
    }

    func testResumeResendsRowsWithoutWamidAndClosesRowsWithOne() throws {
        try enqueue(message("sending-no-wamid", to: "1"))
        try enqueue(message("sending-with-wamid", to: "2"))
        try enqueue(message("retrying-with-wamid", to: "3"))
        try enqueue(message("queued", to: "4"))
        try db.run("UPDATE outbox SET status = 'sending', attempts = 2 WHERE id = 'sending-no-wamid'")
        try db.run("UPDATE outbox SET status = 'sending', wamid = 'wamid.S' WHERE id = 'sending-with-wamid'")
        try db.run("UPDATE outbox SET status = 'retrying', wamid = 'wamid.R', next_attempt_at_ms = 1 WHERE id = 'retrying-with-wamid'")
        let (resent, closed) = try SQLiteOutbox.resumeOnStartup(db, nowMs: 9_000)
        XCTAssertEqual(resent, 1)
        XCTAssertEqual(closed, 2)
        XCTAssertEqual(try SQLiteOutbox.load(db, id: "sending-no-wamid")?.status, "retrying")
        XCTAssertEqual(try SQLiteOutbox.load(db, id: "sending-no-wamid")?.nextAttemptAtMs, 9_000)
        XCTAssertEqual(try SQLiteOutbox.load(db, id: "sending-with-wamid")?.status, "sent")
        XCTAssertEqual(try SQLiteOutbox.load(db, id: "retrying-with-wamid")?.status, "sent")
        XCTAssertEqual(try SQLiteOutbox.dueHeads(db, nowMs: 9_000, limit: 10).map(\.id), ["sending-no-wamid", "queued"])
    }

    func testMigrationThreeAddsThePendingIndex() throws {
        let sql = try db.firstRow("SELECT sql FROM sqlite_master WHERE name = 'outbox_pending_by_recipient'") { $0.text(0) }
        XCTAssertNotNil(sql ?? nil)
        XCTAssertEqual(try Migrations.version(of: db), 3)
    }
}
