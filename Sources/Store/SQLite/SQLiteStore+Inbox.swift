// InboxStore over SQLite: appends and claims on the writer, listings on the readers.

extension SQLiteStore: InboxStore {
    /// Small: applying runs on the one writer thread, and webhook appends (each waiting for its
    /// 200) queue behind a batch.
    public var claimBatchLimit: Int { 32 }

    public func append(_ delivery: InboxDelivery, whenHandled: (@Sendable () -> Void)?,
                       completion: @escaping StoreCompletion<Int64>) {
        let waiters = handledWaiters
        writer.submit({ db in
            try SQLiteInbox.append(db, body: delivery.body, signature: delivery.signature,
                                   correlationID: delivery.correlationID, receivedAtMs: delivery.receivedAtMs)
        }, completion: { result in
            // Registered on the writer thread before any later group can claim the row, so a
            // fast worker cannot handle it before anyone is waiting.
            if case .success(let id) = result, let whenHandled { waiters.add(id, whenHandled) }
            completion(result)
        })
    }

    public func claimPending(limit: Int, nowMs: Int64, completion: @escaping StoreCompletion<[InboxRow]>) {
        writer.submit({ db in try SQLiteInbox.claimPending(db, limit: limit, nowMs: nowMs) }, completion: completion)
    }

    public func process<Output: Sendable>(
        _ rows: [InboxRow], nowMs: Int64,
        apply: @escaping @Sendable (InboxRow, any ConversationTransaction) throws -> Output,
        onFailure: @escaping @Sendable (InboxRow, any Error) -> InboxFailurePlan,
        completion: @escaping StoreCompletion<[InboxResult<Output>]>
    ) {
        writer.submit({ db in
            let conversations = SQLiteConversations(db)
            return try rows.map { row in
                InboxResult(row: row, outcome: try Self.settle(row, db: db, conversations: conversations, nowMs: nowMs,
                                                               apply: apply, onFailure: onFailure))
            }
        }, completion: completion)
    }

    public func releaseHandled(_ rowIDs: [Int64]) {
        handledWaiters.release(rowIDs)
    }

    /// Apply and mark done in one savepoint; on failure, that savepoint is gone and the row is
    /// retried or dead-lettered instead. An error from those writes fails the whole group.
    private static func settle<Output>(
        _ row: InboxRow, db: Database, conversations: SQLiteConversations, nowMs: Int64,
        apply: (InboxRow, any ConversationTransaction) throws -> Output,
        onFailure: (InboxRow, any Error) -> InboxFailurePlan
    ) throws -> InboxOutcome<Output> {
        do {
            return try db.transaction {
                guard try SQLiteInbox.markDone(db, id: row.id, nowMs: nowMs) else { return .skipped }
                return .done(try apply(row, conversations))
            }
        } catch {
            switch onFailure(row, error) {
            case .retry(let atMs, let reason):
                guard let attempts = try SQLiteInbox.markFailed(db, id: row.id, error: reason, retryAtMs: atMs) else {
                    return .skipped
                }
                return .retrying(attempts: attempts, reason: reason)
            case .deadLetter(let reason):
                guard let letter = try SQLiteInbox.moveToDeadLetter(db, id: row.id, error: reason, nowMs: nowMs) else {
                    return .skipped
                }
                return .deadLettered(deadLetterID: letter, reason: reason)
            }
        }
    }

    public func listDeadLetters(includeReplayed: Bool, limit: Int, completion: @escaping StoreCompletion<[DeadLetterRow]>) {
        reader.submit({ db in try SQLiteInbox.listDeadLetters(db, includeReplayed: includeReplayed, limit: limit) },
                      completion: completion)
    }

    public func replayDeadLetter(id: Int64, nowMs: Int64, completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in try SQLiteInbox.replayDeadLetter(db, id: id, nowMs: nowMs) }, completion: completion)
    }

    public func resetProcessing(nowMs: Int64, completion: @escaping StoreCompletion<Int>) {
        writer.submit({ db in try SQLiteInbox.resetProcessingOnStartup(db, nowMs: nowMs) }, completion: completion)
    }

    public func inboxRow(id: Int64, completion: @escaping StoreCompletion<InboxRow?>) {
        reader.submit({ db in try SQLiteInbox.row(db, id: id) }, completion: completion)
    }
}
