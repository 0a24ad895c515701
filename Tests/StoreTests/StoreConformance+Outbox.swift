// Conformance: the outbox (enqueue with idempotency, heads of line per recipient, the state
// changes of a send, resume after a restart).
import Store
import XCTest

extension StoreConformance {
    static func outbound(_ id: String, to: String = "111", phone: String = "900", key: String? = nil,
                         text: String = "hi") -> NewOutboundMessage {
        NewOutboundMessage(id: id, toWaID: to, phoneNumberID: phone, type: "text", contentJSON: #"{"body":"\#(text)"}"#,
                           payloadJSON: #"{"to":"\#(to)","text":{"body":"\#(text)"}}"#, preview: text,
                           idempotencyKey: key, correlationID: "corr-\(id)")
    }

    @discardableResult
    static func enqueue(_ message: NewOutboundMessage, at ms: Int64 = 1_000, in store: any OutboxStore) throws -> OutboxRow {
        switch try answer({ store.enqueue(message, nowMs: ms, completion: $0) }) {
        case .created(let row): return row
        case .existing(let row):
            XCTFail("unexpected existing row \(row.id)")
            return row
        }
    }

    static func heads(_ store: any OutboxStore, at ms: Int64, limit: Int = 10) throws -> [String] {
        try answer { store.dueHeads(nowMs: ms, limit: limit, completion: $0) }.rows.map(\.id)
    }

    func enqueueStoresTheMessageInItsConversation() throws {
        try run { store in
            let row = try Self.enqueue(Self.outbound("m1", to: "111", phone: "900", key: "k-1", text: "hello"), at: 2_000, in: store)
            XCTAssertEqual(row.id, "m1")
            XCTAssertEqual(row.status, "queued")
            XCTAssertEqual(row.attempts, 0)
            XCTAssertEqual(row.toWaID, "111")
            XCTAssertEqual(row.phoneNumberID, "900")
            XCTAssertEqual(row.type, "text")
            XCTAssertEqual(row.idempotencyKey, "k-1")
            XCTAssertEqual(row.correlationID, "corr-m1")
            XCTAssertEqual(row.createdAtMs, 2_000)
            XCTAssertNil(row.wamid)
            XCTAssertEqual(try answer { store.outboxMessage(id: "m1", completion: $0) }, row)

            let conversations = try store.read { try $0.conversations(waID: "111") }
            XCTAssertEqual(conversations.count, 1)
            XCTAssertEqual(conversations.first?.phoneNumberID, "900")
            XCTAssertEqual(conversations.first?.lastMessagePreview, "hello")
            XCTAssertEqual(row.conversationID, conversations.first?.id)
            let messages = try store.read { try $0.messagePage(waID: "111", limit: 10, before: nil) }
            XCTAssertEqual(messages.map(\.id), [row.messageID].compactMap { $0 })
            XCTAssertEqual(messages.first?.direction, "out")
            XCTAssertEqual(messages.first?.status, "queued")
            XCTAssertEqual(messages.first?.bodyJSON, #"{"body":"hello"}"#)
        }
    }

    func enqueueWithAUsedIdempotencyKeyReturnsTheFirstRow() throws {
        try run { store in
            let first = try Self.enqueue(Self.outbound("m1", key: "k-1", text: "first"), in: store)
            let again = try answer { store.enqueue(Self.outbound("m2", key: "k-1", text: "other"), nowMs: 2_000, completion: $0) }
            XCTAssertEqual(again, .existing(first))
            XCTAssertNil(try answer { store.outboxMessage(id: "m2", completion: $0) }, "nothing new written")
            XCTAssertEqual(try store.read { try $0.messagePage(waID: "111", limit: 10, before: nil) }.count, 1)
            XCTAssertEqual(try answer { store.outboxMessage(idempotencyKey: "k-1", completion: $0) }?.id, "m1")
            XCTAssertNil(try answer { store.outboxMessage(idempotencyKey: "k-2", completion: $0) })
            XCTAssertNil(try answer { store.outboxMessage(id: "unknown", completion: $0) })
            let unkeyed = try Self.enqueue(Self.outbound("m3"), in: store)
            XCTAssertNil(unkeyed.idempotencyKey)
            try Self.enqueue(Self.outbound("m4"), in: store)
        }
    }

    func dueHeadsKeepEachRecipientInOrder() throws {
        try run { store in
            for (id, to) in [("a1", "A"), ("a2", "A"), ("b1", "B"), ("c1", "C")] {
                try Self.enqueue(Self.outbound(id, to: to), at: 1_000, in: store)
            }
            XCTAssertEqual(try Self.heads(store, at: 999), [], "not due before it was queued")
            XCTAssertEqual(try Self.heads(store, at: 1_000), ["a1", "b1", "c1"], "one head per recipient, oldest first")
            XCTAssertEqual(try Self.heads(store, at: 1_000, limit: 2), ["a1", "b1"])

            XCTAssertTrue(try answer {
                store.markRetrying(id: "a1", attempts: 1, nextAttemptAtMs: 5_000, lastError: "{}", nowMs: 1_500, completion: $0)
            })
            XCTAssertEqual(try Self.heads(store, at: 2_000), ["b1", "c1"], "a2 waits behind a1's retry")
            XCTAssertEqual(try answer { store.dueHeads(nowMs: 2_000, limit: 10, completion: $0) }.nextDueAtMs, 1_000)
            XCTAssertEqual(try Self.heads(store, at: 5_000), ["a1", "b1", "c1"])

            XCTAssertTrue(try answer {
                store.markSent(id: "a1", wamid: "wamid.A1", attempts: 2, nowMs: 5_100, inSameTransaction: nil, completion: $0)
            })
            XCTAssertEqual(try Self.heads(store, at: 5_100), ["a2", "b1", "c1"], "a2 is next once a1 is sent, in queue order")
            XCTAssertTrue(try answer {
                store.markFailed(id: "b1", attempts: 1, lastError: "{}", errorJSON: "[]", nowMs: 5_200, completion: $0)
            })
            XCTAssertEqual(try Self.heads(store, at: 5_200), ["a2", "c1"])
        }
    }

    func sendResultsMoveRowsAndTheirMessages() throws {
        try run { store in
            let row = try Self.enqueue(Self.outbound("m1", to: "S"), in: store)
            let failedRow = try Self.enqueue(Self.outbound("m2", to: "F"), in: store)
            XCTAssertTrue(try answer {
                store.markSent(id: "m1", wamid: "wamid.X", attempts: 3, nowMs: 2_000, inSameTransaction: nil, completion: $0)
            })
            let sent = try XCTUnwrap(try answer { store.outboxMessage(id: "m1", completion: $0) })
            XCTAssertEqual(sent.status, "sent")
            XCTAssertEqual(sent.wamid, "wamid.X")
            XCTAssertEqual(sent.attempts, 3)
            XCTAssertNil(sent.nextAttemptAtMs)
            XCTAssertEqual(sent.updatedAtMs, 2_000)
            XCTAssertEqual(sent.deliveryStatus, "sent")
            let message = try store.read { try $0.messagePage(waID: "S", limit: 1, before: nil) }.first
            XCTAssertEqual(message?.id, row.messageID)
            XCTAssertEqual(message?.wamid, "wamid.X")
            XCTAssertEqual(message?.status, "sent")

            XCTAssertFalse(try answer {
                store.markSent(id: "m1", wamid: "wamid.Y", attempts: 4, nowMs: 3_000, inSameTransaction: nil, completion: $0)
            }, "a finished row does not change")
            XCTAssertFalse(try answer {
                store.markRetrying(id: "m1", attempts: 4, nextAttemptAtMs: 9, lastError: "{}", nowMs: 3_000, completion: $0)
            })
            XCTAssertFalse(try answer {
                store.markFailed(id: "m1", attempts: 4, lastError: "{}", errorJSON: "[]", nowMs: 3_000, completion: $0)
            })
            XCTAssertEqual(try answer { store.outboxMessage(id: "m1", completion: $0) }?.wamid, "wamid.X")
            XCTAssertFalse(try answer {
                store.markSent(id: "nope", wamid: "wamid.Z", attempts: 1, nowMs: 3_000, inSameTransaction: nil, completion: $0)
            })

            XCTAssertTrue(try answer {
                store.markRetrying(id: "m2", attempts: 1, nextAttemptAtMs: 4_000, lastError: #"{"code":1}"#, nowMs: 3_000,
                                   completion: $0)
            })
            let retrying = try XCTUnwrap(try answer { store.outboxMessage(id: "m2", completion: $0) })
            XCTAssertEqual(retrying.status, "retrying")
            XCTAssertEqual(retrying.nextAttemptAtMs, 4_000)
            XCTAssertEqual(retrying.lastError, #"{"code":1}"#)
            XCTAssertTrue(try answer {
                store.markFailed(id: "m2", attempts: 2, lastError: #"{"code":131047}"#, errorJSON: #"[{"code":131047}]"#,
                                 nowMs: 4_000, completion: $0)
            })
            let failed = try XCTUnwrap(try answer { store.outboxMessage(id: "m2", completion: $0) })
            XCTAssertEqual(failed.status, "failed")
            XCTAssertEqual(failed.attempts, 2)
            XCTAssertEqual(failed.deliveryStatus, "failed")
            let failedMessage = try store.read { try $0.messagePage(waID: "F", limit: 1, before: nil) }.first
            XCTAssertEqual(failedMessage?.id, failedRow.messageID)
            XCTAssertEqual(failedMessage?.errorJSON, #"[{"code":131047}]"#)
        }
    }

    func markSentRunsItsExtraWorkInTheSameTransaction() throws {
        try run { store in
            let row = try Self.enqueue(Self.outbound("m1", to: "T"), in: store)
            let messageID = try XCTUnwrap(row.messageID)
            XCTAssertThrowsError(try answer {
                store.markSent(id: "m1", wamid: "wamid.T", attempts: 1, nowMs: 2_000,
                               inSameTransaction: { _ in throw ConformanceFailure() }, completion: $0)
            })
            XCTAssertEqual(try answer { store.outboxMessage(id: "m1", completion: $0) }?.status, "queued",
                           "a failing extra step undoes the mark")
            XCTAssertTrue(try answer {
                store.markSent(id: "m1", wamid: "wamid.T", attempts: 1, nowMs: 2_000, inSameTransaction: { conversations in
                    try conversations.setMessageStatus(id: messageID, status: "read", rank: 3, errorsJSON: nil)
                }, completion: $0)
            })
            XCTAssertEqual(try answer { store.outboxMessage(id: "m1", completion: $0) }?.deliveryStatus, "read")
        }
    }

    func resumeOnStartupLeavesQueuedAndRetryingRowsDue() throws {
        try run { store in
            try Self.enqueue(Self.outbound("q", to: "Q"), at: 1_000, in: store)
            try Self.enqueue(Self.outbound("r", to: "R"), at: 1_000, in: store)
            XCTAssertTrue(try answer {
                store.markRetrying(id: "r", attempts: 1, nextAttemptAtMs: 3_000, lastError: "{}", nowMs: 1_000, completion: $0)
            })
            XCTAssertEqual(try answer { store.resumeOnStartup(nowMs: 2_000, completion: $0) },
                           OutboxResumeCounts(resent: 0, closedAsSent: 0))
            XCTAssertEqual(try Self.heads(store, at: 2_000), ["q"])
            XCTAssertEqual(try Self.heads(store, at: 3_000), ["q", "r"], "a retry keeps its time across a restart")
        }
    }
}
