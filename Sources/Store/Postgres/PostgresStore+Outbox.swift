// OutboxStore over PostgreSQL. The sender's due-heads query is also its lease renewal: only the
// node holding the "outbox" lease is handed rows, so one attempt per message and one message
// per recipient are in flight cluster-wide, and the per-number rate and pair pacing (kept by
// that node's sender) hold for the cluster. Another node takes over within the lease when the
// holder stops renewing (dies).

extension PostgresStore: OutboxStore {
    static let outboxLease = "outbox"

    public func enqueue(_ message: NewOutboundMessage, nowMs: Int64, completion: @escaping StoreCompletion<EnqueueOutcome>) {
        writer.submit({ db in try PostgresOutbox.enqueue(db, message, nowMs: nowMs) }, completion: completion)
    }

    public func outboxMessage(id: String, completion: @escaping StoreCompletion<OutboxRow?>) {
        readers.submit({ db in try PostgresOutbox.load(db, id: id) }, completion: completion)
    }

    public func outboxMessage(idempotencyKey: String, completion: @escaping StoreCompletion<OutboxRow?>) {
        readers.submit({ db in try PostgresOutbox.find(db, idempotencyKey: idempotencyKey) }, completion: completion)
    }

    public func dueHeads(nowMs: Int64, limit: Int, completion: @escaping StoreCompletion<OutboxDueHeads>) {
        let node = settings.nodeID, leaseMs = settings.leaseMs
        writer.submit({ db in
            let next = try PostgresOutbox.nextDueAtMs(db)
            guard try PostgresInbox.holdLease(db, name: Self.outboxLease, node: node, leaseMs: leaseMs) else {
                return OutboxDueHeads(rows: [], nextDueAtMs: next)
            }
            return OutboxDueHeads(rows: try PostgresOutbox.dueHeads(db, nowMs: nowMs, limit: limit), nextDueAtMs: next)
        }, completion: completion)
    }

    public func markSent(id: String, wamid: String, attempts: Int, nowMs: Int64,
                         inSameTransaction: (@Sendable (any ConversationTransaction) throws -> Void)?,
                         completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in
            try db.transaction {
                let changed = try PostgresOutbox.markSent(db, id: id, wamid: wamid, attempts: attempts, nowMs: nowMs)
                if changed, let inSameTransaction { try inSameTransaction(PostgresConversations(db)) }
                return changed
            }
        }, completion: completion)
    }

    public func markRetrying(id: String, attempts: Int, nextAttemptAtMs: Int64, lastError: String, nowMs: Int64,
                             completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in
            try PostgresOutbox.markRetrying(db, id: id, attempts: attempts, nextAttemptAtMs: nextAttemptAtMs,
                                            lastError: lastError, nowMs: nowMs)
        }, completion: completion)
    }

    public func markFailed(id: String, attempts: Int, lastError: String, errorJSON: String, nowMs: Int64,
                           completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in
            try PostgresOutbox.markFailed(db, id: id, attempts: attempts, lastError: lastError, errorJSON: errorJSON,
                                          nowMs: nowMs)
        }, completion: completion)
    }

    public func resumeOnStartup(nowMs: Int64, completion: @escaping StoreCompletion<OutboxResumeCounts>) {
        writer.submit({ db in try PostgresOutbox.resumeOnStartup(db, nowMs: nowMs) }, completion: completion)
    }
}

extension PostgresStore: ConversationStore {
    public func readConversations<T: Sendable>(_ body: @escaping @Sendable (any ConversationReading) throws -> T,
                                               completion: @escaping StoreCompletion<T>) {
        readers.submit({ db in try body(PostgresConversations(db)) }, completion: completion)
    }

    public func writeConversations<T: Sendable>(_ body: @escaping @Sendable (any ConversationTransaction) throws -> T,
                                                completion: @escaping StoreCompletion<T>) {
        writer.submit({ db in try body(PostgresConversations(db)) }, completion: completion)
    }
}

extension PostgresStore: HealthStore {
    public func writeProbe(_ value: String, completion: @escaping StoreCompletion<Void>) {
        writer.submit({ db in try PostgresHealth.writeProbe(db, value: value) }, completion: completion)
    }

    public func readProbe(completion: @escaping StoreCompletion<String?>) {
        readers.submit({ db in try PostgresHealth.readProbe(db) }, completion: completion)
    }

    public func inboxBacklog(nowMs: Int64, completion: @escaping StoreCompletion<InboxBacklog>) {
        readers.submit({ db in try PostgresInbox.backlog(db, nowMs: nowMs) }, completion: completion)
    }

    public func outboxDepth(nowMs: Int64, completion: @escaping StoreCompletion<OutboxDepth>) {
        readers.submit({ db in try PostgresHealth.outboxDepth(db, nowMs: nowMs) }, completion: completion)
    }
}
