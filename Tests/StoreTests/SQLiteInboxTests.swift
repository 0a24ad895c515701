// The inbox lifecycle: append, claim in arrival order, retry, dead letters, replay, crash recovery.
import XCTest
@testable import Store

final class SQLiteInboxTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var db: Database!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        db = try Database(path: scratch.path("inbox.sqlite"))
        try Migrations.apply(db)
    }

    override func tearDown() {
        db = nil
        scratch = nil
    }

    @discardableResult
    private func append(_ text: String, at ms: Int64) throws -> Int64 {
        try SQLiteInbox.append(db, body: Array(text.utf8), signature: "sig-\(text)", correlationID: "corr-\(text)",
                              receivedAtMs: ms)
    }

    func testBodiesAreStoredByteForByte() throws {
        let odd: [UInt8] = [0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x00]
        let oddID = try SQLiteInbox.append(db, body: odd, signature: "", correlationID: "", receivedAtMs: 1)
        let emptyID = try SQLiteInbox.append(db, body: [], signature: "", correlationID: "", receivedAtMs: 1)
        XCTAssertEqual(try SQLiteInbox.row(db, id: oddID)?.body, odd)
        XCTAssertEqual(try SQLiteInbox.row(db, id: emptyID)?.body, [])
        XCTAssertNil(try SQLiteInbox.row(db, id: 999))
    }

    func testClaimTakesDueRowsInArrivalOrderAndMarksThemProcessing() throws {
        let first = try append("a", at: 300)  // arrival order is insertion order, not received_at
        let second = try append("b", at: 100)
        let third = try append("c", at: 200)

        let batch = try SQLiteInbox.claimPending(db, limit: 2, nowMs: 1_000)
        XCTAssertEqual(batch.map(\.id), [first, second])
        XCTAssertEqual(batch.map(\.status), ["processing", "processing"])
        XCTAssertEqual(batch.first?.body, Array("a".utf8))
        XCTAssertEqual(batch.first?.signature, "sig-a")
        XCTAssertEqual(batch.first?.correlationID, "corr-a")
        XCTAssertEqual(try SQLiteInbox.row(db, id: first)?.status, "processing")

        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 10, nowMs: 1_000).map(\.id), [third])
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 10, nowMs: 1_000), [])
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 0, nowMs: 1_000), [])
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: -5, nowMs: 1_000), [])
    }

    func testRowsNotYetDueAreNotClaimed() throws {
        try append("early", at: 500)
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 10, nowMs: 499), [])
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 10, nowMs: 500).count, 1)
    }

    func testFailedRowsRetryLaterAndCountAttempts() throws {
        let id = try append("x", at: 0)
        _ = try SQLiteInbox.claimPending(db, limit: 1, nowMs: 10)
        XCTAssertEqual(try SQLiteInbox.markFailed(db, id: id, error: "decode_error", retryAtMs: 1_000), 1)
        let failed = try SQLiteInbox.row(db, id: id)
        XCTAssertEqual(failed?.status, "pending")
        XCTAssertEqual(failed?.lastError, "decode_error")
        XCTAssertEqual(failed?.nextAttemptAtMs, 1_000)

        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 1, nowMs: 999), [])
        let retried = try SQLiteInbox.claimPending(db, limit: 1, nowMs: 1_000)
        XCTAssertEqual(retried.map(\.attempts), [1])
        XCTAssertEqual(try SQLiteInbox.markFailed(db, id: id, error: "again", retryAtMs: 2_000), 2)

        XCTAssertNil(try SQLiteInbox.markFailed(db, id: id, error: "not processing", retryAtMs: 0),
                     "only a claimed row can fail")
        XCTAssertNil(try SQLiteInbox.markFailed(db, id: 12345, error: "unknown", retryAtMs: 0))
    }

    func testMarkDoneOnlyFinishesClaimedRows() throws {
        let id = try append("x", at: 0)
        XCTAssertFalse(try SQLiteInbox.markDone(db, id: id, nowMs: 5), "still pending")
        _ = try SQLiteInbox.claimPending(db, limit: 1, nowMs: 5)
        XCTAssertTrue(try SQLiteInbox.markDone(db, id: id, nowMs: 6))
        XCTAssertEqual(try SQLiteInbox.row(db, id: id)?.status, "done")
        XCTAssertFalse(try SQLiteInbox.markDone(db, id: id, nowMs: 7), "already done")
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 1, nowMs: 100), [])
    }

    func testDeadLetterListAndReplay() throws {
        let id = try append("poison", at: 0)
        _ = try SQLiteInbox.claimPending(db, limit: 1, nowMs: 1)
        try SQLiteInbox.markFailed(db, id: id, error: "first", retryAtMs: 2)
        _ = try SQLiteInbox.claimPending(db, limit: 1, nowMs: 2)

        let letterID = try XCTUnwrap(try SQLiteInbox.moveToDeadLetter(db, id: id, error: "gave up", nowMs: 3))
        XCTAssertNil(try SQLiteInbox.moveToDeadLetter(db, id: id, error: "twice", nowMs: 4), "already dead")
        XCTAssertNil(try SQLiteInbox.moveToDeadLetter(db, id: 777, error: "unknown", nowMs: 4))
        XCTAssertEqual(try SQLiteInbox.row(db, id: id)?.status, "dead")
        XCTAssertEqual(try SQLiteInbox.depth(db), InboxDepth(pending: 0, processing: 0, dead: 1))
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 10, nowMs: 100), [])

        let letters = try SQLiteInbox.listDeadLetters(db)
        XCTAssertEqual(letters, [DeadLetterRow(id: letterID, inboxID: id, failedAtMs: 3, error: "gave up",
                                               attempts: 2, replayedAtMs: nil)])

        XCTAssertTrue(try SQLiteInbox.replayDeadLetter(db, id: letterID, nowMs: 50))
        XCTAssertFalse(try SQLiteInbox.replayDeadLetter(db, id: letterID, nowMs: 51), "replayed once only")
        XCTAssertFalse(try SQLiteInbox.replayDeadLetter(db, id: 999, nowMs: 51))
        XCTAssertEqual(try SQLiteInbox.listDeadLetters(db), [])
        XCTAssertEqual(try SQLiteInbox.listDeadLetters(db, includeReplayed: true).map(\.replayedAtMs), [50])

        let replayed = try SQLiteInbox.claimPending(db, limit: 10, nowMs: 50)
        XCTAssertEqual(replayed.map(\.id), [id])
        XCTAssertEqual(replayed.first?.attempts, 0)
        XCTAssertEqual(replayed.first?.body, Array("poison".utf8))
    }

    func testResetOnStartupReturnsAbandonedRowsToPendingInOrder() throws {
        let ids = try (0..<3).map { try append("m\($0)", at: Int64($0)) }
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 2, nowMs: 10).map(\.id), Array(ids.prefix(2)))
        XCTAssertEqual(try SQLiteInbox.depth(db), InboxDepth(pending: 1, processing: 2, dead: 0))

        XCTAssertEqual(try SQLiteInbox.resetProcessingOnStartup(db, nowMs: 20), 2)
        XCTAssertEqual(try SQLiteInbox.depth(db), InboxDepth(pending: 3, processing: 0, dead: 0))
        XCTAssertEqual(try SQLiteInbox.claimPending(db, limit: 10, nowMs: 20).map(\.id), ids)
        XCTAssertEqual(try SQLiteInbox.resetProcessingOnStartup(db, nowMs: 30), 3)
        XCTAssertEqual(try SQLiteInbox.resetProcessingOnStartup(db, nowMs: 30), 0)
    }

    func testOldestUnprocessedAge() throws {
        XCTAssertNil(try SQLiteInbox.oldestUnprocessedAgeMs(db, nowMs: 1_000))
        let first = try append("old", at: 100)
        try append("new", at: 400)
        XCTAssertEqual(try SQLiteInbox.oldestUnprocessedAgeMs(db, nowMs: 1_000), 900)
        _ = try SQLiteInbox.claimPending(db, limit: 1, nowMs: 1_000)
        XCTAssertEqual(try SQLiteInbox.oldestUnprocessedAgeMs(db, nowMs: 1_000), 900, "processing is not done yet")
        try SQLiteInbox.markDone(db, id: first, nowMs: 1_000)
        XCTAssertEqual(try SQLiteInbox.oldestUnprocessedAgeMs(db, nowMs: 1_000), 600)
        XCTAssertEqual(try SQLiteInbox.oldestUnprocessedAgeMs(db, nowMs: 0), 0, "a clock going backwards gives 0, not a negative age")
    }

    func testInboxHelpersWorkInsideWriterGroups() throws {
        let writer = try StoreWriter(path: scratch.path("writer-inbox.sqlite"))
        defer { writer.close() }
        let ids = try (0..<5).map { index in
            try writer.submitAndWait { db in
                try SQLiteInbox.append(db, body: [UInt8(index)], signature: "s", correlationID: "c", receivedAtMs: 1)
            }
        }
        let claimed = try writer.submitAndWait { db in try SQLiteInbox.claimPending(db, limit: 5, nowMs: 1) }
        XCTAssertEqual(claimed.map(\.id), ids)
        XCTAssertEqual(claimed.map(\.body), (0..<5).map { [UInt8($0)] })
    }
}
