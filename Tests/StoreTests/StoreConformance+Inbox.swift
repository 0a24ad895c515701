// Conformance: the inbox (append, claim in arrival order, process with done / retry / dead
// letter, replay, reset after a crash, the synchronous wait).
import Store
import XCTest

extension StoreConformance {
    func appendKeepsEveryDeliveryExactlyAndInArrivalOrder() throws {
        try run { store in
            let first = try store.appendText("one", at: 100)
            let second = try store.appendText("one", at: 100)
            let binary: [UInt8] = [0, 255, 10, 13, 0]
            let third = try answer {
                store.append(InboxDelivery(body: binary, signature: "", correlationID: "c3", receivedAtMs: 101), completion: $0)
            }
            XCTAssertLessThan(first, second, "a redelivery is a new row: dedupe happens on apply, by message id")
            XCTAssertLessThan(second, third)
            let stored = try XCTUnwrap(try store.row(first))
            XCTAssertEqual(stored.body, Array("one".utf8))
            XCTAssertEqual(stored.signature, "sig-one")
            XCTAssertEqual(stored.correlationID, "corr-one")
            XCTAssertEqual(stored.receivedAtMs, 100)
            XCTAssertEqual(stored.status, "pending")
            XCTAssertEqual(stored.attempts, 0)
            XCTAssertEqual(try store.row(third)?.body, binary, "the raw bytes, unchanged")
            XCTAssertNil(try store.row(third + 1_000))
        }
    }

    func redeliveredPayloadAppliesOnce() throws {
        try run { store in
            try store.appendText("same", at: 1)
            try store.appendText("same", at: 1)
            let rows = try store.claim(10, at: 1)
            let inserted = Collected<Bool>()
            let results = try store.settle(rows, at: 2) { _, conversations in
                let conversation = try conversations.findOrCreateConversation(phoneNumberID: "PN", waID: "W")
                let id = try conversations.insertInboundMessage(Self.inbound("wamid.SAME", in: conversation, at: 1))
                inserted.append(id != nil)
            }
            XCTAssertEqual(results.map(\.outcome.kind), ["done", "done"])
            XCTAssertEqual(inserted.values, [true, false], "the second copy finds the wamid stored")
            XCTAssertEqual(try store.read { try $0.messagePage(waID: "W", limit: 10, before: nil) }.count, 1)
        }
    }

    func claimTakesDueRowsInArrivalOrder() throws {
        try run { store in
            let ids = try ["a", "b", "c"].map { try store.appendText($0, at: 500) }
            XCTAssertEqual(try store.claim(10, at: 499), [], "not due before it was received")
            let batch = try store.claim(2, at: 1_000)
            XCTAssertEqual(batch.map(\.id), Array(ids.prefix(2)))
            XCTAssertEqual(batch.map(\.status), ["processing", "processing"])
            XCTAssertEqual(try store.row(ids[0])?.status, "processing")
            XCTAssertEqual(try store.claim(10, at: 1_000).map(\.id), [ids[2]], "claimed rows are not handed out twice")
            XCTAssertEqual(try store.claim(10, at: 1_000), [])
            XCTAssertEqual(try store.claim(0, at: 1_000), [])
        }
    }

    func processMarksAppliedRowsDone() throws {
        try run { store in
            let id = try store.appendText("x", at: 1)
            let results = try store.settle(try store.claim(1, at: 1), at: 2)
            XCTAssertEqual(results.map(\.row.id), [id])
            guard case .done(let output)? = results.first?.outcome else { return XCTFail("not done: \(results)") }
            XCTAssertEqual(output, id)
            XCTAssertEqual(try store.row(id)?.status, "done")
            XCTAssertEqual(try store.claim(10, at: 100), [])
            let backlog = try answer { store.inboxBacklog(nowMs: 100, completion: $0) }
            XCTAssertEqual(backlog.depth, InboxDepth(pending: 0, processing: 0, dead: 0))
            XCTAssertNil(backlog.oldestUnprocessedAgeMs)
        }
    }

    func failedApplyIsRolledBackAndRetriedAtItsBackoffTime() throws {
        try run { store in
            let id = try store.appendText("x", at: 10)
            let results = try store.settle(try store.claim(1, at: 10), at: 20,
                                           failingWith: .retry(atMs: 5_000, reason: "boom")) { _, conversations in
                _ = try conversations.findOrCreateConversation(phoneNumberID: "PN", waID: "ROLLED_BACK")
            }
            guard case .retrying(let attempts, let reason)? = results.first?.outcome else { return XCTFail("\(results)") }
            XCTAssertEqual(attempts, 1)
            XCTAssertEqual(reason, "boom")
            XCTAssertEqual(try store.read { try $0.conversations(waID: "ROLLED_BACK") }, [], "the apply's writes are undone")
            let waiting = try XCTUnwrap(try store.row(id))
            XCTAssertEqual(waiting.status, "pending")
            XCTAssertEqual(waiting.lastError, "boom")
            XCTAssertEqual(try store.claim(1, at: 4_999), [], "not before the backoff time")
            let again = try store.claim(1, at: 5_000)
            XCTAssertEqual(again.map(\.id), [id])
            XCTAssertEqual(again.first?.attempts, 1)
            let second = try store.settle(again, at: 5_001, failingWith: .retry(atMs: 9_000, reason: "again"))
            guard case .retrying(let attemptsNow, _)? = second.first?.outcome else { return XCTFail("\(second)") }
            XCTAssertEqual(attemptsNow, 2)
        }
    }

    /// A batch whose middle row fails: that row alone is rolled back and retried; the others are
    /// applied once and marked done, whatever path the store takes to settle them.
    func oneFailingRowOfABatchIsSettledAloneAndTheOthersApplyOnce() throws {
        try run { store in
            let ids = [try store.appendText("a", at: 10), try store.appendText("b", at: 11), try store.appendText("c", at: 12)]
            let claimed = try store.claim(10, at: 20)
            XCTAssertEqual(claimed.map(\.id), ids)
            let failing = ids[1]
            let results = try answer { completion in
                store.process(claimed, nowMs: 30, apply: { row, conversations in
                    let conversation = try conversations.findOrCreateConversation(phoneNumberID: "PN", waID: "W\(row.id)")
                    try conversations.recordNewMessage(conversationID: conversation, atMs: 30, preview: "p")
                    if row.id == failing { throw ConformanceFailure() }
                    return row.id
                }, onFailure: { _, _ in .retry(atMs: 9_000, reason: "boom") }, completion: completion)
            }
            XCTAssertEqual(results.map(\.row.id), ids)
            XCTAssertEqual(results.map(\.outcome.kind), ["done", "retrying", "done"])
            for id in ids {
                let rows = try store.read { try $0.conversations(waID: "W\(id)") }
                if id == failing {
                    XCTAssertEqual(rows, [], "the failing row's writes are undone")
                    XCTAssertEqual(try store.row(id)?.status, "pending")
                } else {
                    XCTAssertEqual(rows.map(\.unreadCount), [1], "applied exactly once")
                    XCTAssertEqual(try store.row(id)?.status, "done")
                }
            }
        }
    }

    func deadLettersAreListedAndReplayable() throws {
        try run { store in
            let id = try store.appendText("bad", at: 1)
            let results = try store.settle(try store.claim(1, at: 1), at: 3, failingWith: .deadLetter(reason: "gave up"))
            guard case .deadLettered(let letterID, let reason)? = results.first?.outcome else { return XCTFail("\(results)") }
            XCTAssertEqual(reason, "gave up")
            XCTAssertEqual(try store.row(id)?.status, "dead")
            XCTAssertEqual(try store.claim(10, at: 100), [], "a dead row is not claimed")
            let letters = try store.deadLetters()
            XCTAssertEqual(letters.map(\.id), [letterID])
            XCTAssertEqual(letters.first?.inboxID, id)
            XCTAssertEqual(letters.first?.error, "gave up")
            XCTAssertEqual(letters.first?.attempts, 1)
            XCTAssertEqual(letters.first?.failedAtMs, 3)
            XCTAssertNil(letters.first?.replayedAtMs)
            let backlog = try answer { store.inboxBacklog(nowMs: 100, completion: $0) }
            XCTAssertEqual(backlog.openDeadLetters, 1)
            XCTAssertEqual(backlog.depth.dead, 1)

            XCTAssertTrue(try answer { store.replayDeadLetter(id: letterID, nowMs: 50, completion: $0) })
            XCTAssertFalse(try answer { store.replayDeadLetter(id: letterID, nowMs: 51, completion: $0) }, "replayed once only")
            XCTAssertFalse(try answer { store.replayDeadLetter(id: letterID + 1_000, nowMs: 51, completion: $0) })
            XCTAssertEqual(try store.deadLetters(), [])
            XCTAssertEqual(try store.deadLetters(includeReplayed: true).map(\.replayedAtMs), [50])
            XCTAssertEqual(try answer { store.inboxBacklog(nowMs: 100, completion: $0) }.openDeadLetters, 0)
            let replayed = try store.claim(10, at: 50)
            XCTAssertEqual(replayed.map(\.id), [id])
            XCTAssertEqual(replayed.first?.attempts, 0, "a replay starts counting again")
        }
    }

    func resetProcessingReturnsClaimedRowsToPendingInOrder() throws {
        try run { store in
            let ids = try ["a", "b", "c"].map { try store.appendText($0, at: 1) }
            XCTAssertEqual(try store.claim(2, at: 10).map(\.id), Array(ids.prefix(2)))
            XCTAssertEqual(try answer { store.inboxBacklog(nowMs: 10, completion: $0) }.depth,
                           InboxDepth(pending: 1, processing: 2, dead: 0))
            XCTAssertEqual(try answer { store.resetProcessing(nowMs: 20, completion: $0) }, 2)
            XCTAssertEqual(try answer { store.inboxBacklog(nowMs: 20, completion: $0) }.depth,
                           InboxDepth(pending: 3, processing: 0, dead: 0))
            XCTAssertEqual(try store.claim(10, at: 20).map(\.id), ids, "arrival order again")
            XCTAssertEqual(try answer { store.resetProcessing(nowMs: 30, completion: $0) }, 3)
            XCTAssertEqual(try answer { store.resetProcessing(nowMs: 30, completion: $0) }, 0)
        }
    }

    func whenHandledIsCalledOnceTheWorkerReleasesTheRow() throws {
        try run { store in
            let done = CallCounter()
            let retried = CallCounter()
            let okID = try store.appendText("ok", at: 1, whenHandled: { done.call() })
            let failingID = try store.appendText("fails", at: 1, whenHandled: { retried.call() })
            let quietID = try store.appendText("quiet", at: 1)
            let rows = try store.claim(10, at: 1)
            _ = try store.settle(Array(rows.prefix(1)), at: 2)
            XCTAssertEqual(done.calls, 0, "settled, but its events are not published yet")
            store.releaseHandled([okID, quietID])
            XCTAssertEqual(done.calls(reaching: 1), 1)
            XCTAssertEqual(retried.calls, 0, "only the rows released")
            _ = try store.settle(Array(rows.dropFirst()), at: 2, failingWith: .retry(atMs: 100, reason: "r"))
            store.releaseHandled([failingID])
            XCTAssertEqual(retried.calls(reaching: 1), 1, "a scheduled retry counts as handled")
            store.releaseHandled([okID, failingID, quietID])
            XCTAssertEqual(done.calls, 1, "called once only")
            XCTAssertEqual(retried.calls, 1)
        }
    }

    func oldestUnprocessedAgeFollowsTheBacklog() throws {
        try run { store in
            XCTAssertNil(try answer { store.inboxBacklog(nowMs: 1_000, completion: $0) }.oldestUnprocessedAgeMs)
            try store.appendText("old", at: 100)
            try store.appendText("new", at: 400)
            let age = { (now: Int64) in try answer { store.inboxBacklog(nowMs: now, completion: $0) }.oldestUnprocessedAgeMs }
            XCTAssertEqual(try age(1_000), 900)
            let first = try store.claim(1, at: 1_000)
            XCTAssertEqual(try age(1_000), 900, "processing is not done yet")
            _ = try store.settle(first, at: 1_000)
            XCTAssertEqual(try age(1_000), 600)
            XCTAssertEqual(try age(0), 0, "a clock going backwards gives 0, not a negative age")
        }
    }

    static func inbound(_ wamid: String, in conversationID: Int64, at seconds: Int64, preview: String = "hi") -> NewInboundMessage {
        NewInboundMessage(wamid: wamid, conversationID: conversationID, type: "text",
                          bodyJSON: #"{"id":"\#(wamid)","type":"text","text":{"body":"\#(preview)"}}"#,
                          timestampS: seconds, errorJSON: nil, preview: preview, receivedAtMs: seconds * 1000)
    }
}
