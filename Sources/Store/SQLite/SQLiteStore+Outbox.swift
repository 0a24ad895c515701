// OutboxStore over SQLite: state changes on the writer, the sender's queries on the readers.

extension SQLiteStore: OutboxStore {
    public func enqueue(_ message: NewOutboundMessage, nowMs: Int64, completion: @escaping StoreCompletion<EnqueueOutcome>) {
        writer.submit({ db in try SQLiteOutbox.enqueue(db, message, nowMs: nowMs) }, completion: completion)
    }

    public func outboxMessage(id: String, completion: @escaping StoreCompletion<OutboxRow?>) {
        reader.submit({ db in try SQLiteOutbox.load(db, id: id) }, completion: completion)
    }

    public func outboxMessage(idempotencyKey: String, completion: @escaping StoreCompletion<OutboxRow?>) {
        reader.submit({ db in try SQLiteOutbox.find(db, idempotencyKey: idempotencyKey) }, completion: completion)
    }

    public func dueHeads(nowMs: Int64, limit: Int, completion: @escaping StoreCompletion<OutboxDueHeads>) {
        reader.submit({ db in
            OutboxDueHeads(rows: try SQLiteOutbox.dueHeads(db, nowMs: nowMs, limit: limit),
                           nextDueAtMs: try SQLiteOutbox.nextDueAtMs(db))
        }, completion: completion)
    }

    public func markSent(id: String, wamid: String, attempts: Int, nowMs: Int64,
                         inSameTransaction: (@Sendable (any ConversationTransaction) throws -> Void)?,
                         completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in
            try db.transaction {
                let changed = try SQLiteOutbox.markSent(db, id: id, wamid: wamid, attempts: attempts, nowMs: nowMs)
                if changed, let inSameTransaction { try inSameTransaction(SQLiteConversations(db)) }
                return changed
            }
        }, completion: completion)
    }

    public func markRetrying(id: String, attempts: Int, nextAttemptAtMs: Int64, lastError: String, nowMs: Int64,
                             completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in
            try SQLiteOutbox.markRetrying(db, id: id, attempts: attempts, nextAttemptAtMs: nextAttemptAtMs,
                                          lastError: lastError, nowMs: nowMs)
        }, completion: completion)
    }

    public func markFailed(id: String, attempts: Int, lastError: String, errorJSON: String, nowMs: Int64,
                           completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in
            try SQLiteOutbox.markFailed(db, id: id, attempts: attempts, lastError: lastError, errorJSON: errorJSON,
                                        nowMs: nowMs)
        }, completion: completion)
    }

    public func resumeOnStartup(nowMs: Int64, completion: @escaping StoreCompletion<OutboxResumeCounts>) {
        writer.submit({ db in
            let (resent, closed) = try SQLiteOutbox.resumeOnStartup(db, nowMs: nowMs)
            return OutboxResumeCounts(resent: resent, closedAsSent: closed)
        }, completion: completion)
    }
}
