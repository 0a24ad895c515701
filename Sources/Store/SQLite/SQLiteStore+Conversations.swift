// ConversationStore and HealthStore over SQLite: Conversations' reads on the readers (one read
// transaction each), its writes and the health probe's write on the writer.

extension SQLiteStore: ConversationStore {
    public func readConversations<T: Sendable>(_ body: @escaping @Sendable (any ConversationReading) throws -> T,
                                               completion: @escaping StoreCompletion<T>) {
        reader.submit({ db in try body(SQLiteConversations(db)) }, completion: completion)
    }

    public func writeConversations<T: Sendable>(_ body: @escaping @Sendable (any ConversationTransaction) throws -> T,
                                                completion: @escaping StoreCompletion<T>) {
        writer.submit({ db in try body(SQLiteConversations(db)) }, completion: completion)
    }
}

extension SQLiteStore: HealthStore {
    public func writeProbe(_ value: String, completion: @escaping StoreCompletion<Void>) {
        writer.submit({ db in try SQLiteHealth.writeProbe(db, value: value) }, completion: completion)
    }

    public func readProbe(completion: @escaping StoreCompletion<String?>) {
        reader.submit({ db in try SQLiteHealth.readProbe(db) }, completion: completion)
    }

    public func inboxBacklog(nowMs: Int64, completion: @escaping StoreCompletion<InboxBacklog>) {
        reader.submit({ db in
            InboxBacklog(depth: try SQLiteInbox.depth(db),
                         oldestUnprocessedAgeMs: try SQLiteInbox.oldestUnprocessedAgeMs(db, nowMs: nowMs),
                         openDeadLetters: try SQLiteHealth.openDeadLetters(db))
        }, completion: completion)
    }

    public func outboxDepth(nowMs: Int64, completion: @escaping StoreCompletion<OutboxDepth>) {
        reader.submit({ db in try SQLiteHealth.outboxDepth(db, nowMs: nowMs) }, completion: completion)
    }
}
