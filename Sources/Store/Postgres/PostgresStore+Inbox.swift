// InboxStore over PostgreSQL: appends group-committed on the appender, claims and settling on the
// writer under this node's claims, listings on the readers.

extension PostgresStore: InboxStore {
    /// Larger than SQLite's: appends commit on their own connection, so a batch delays no
    /// webhook's 200, and each batch costs a claim, a commit and a journal clean-up whatever its
    /// size. Not larger still: other writes (outbox, health probe) wait behind a batch. A worker
    /// that keeps up still claims only what arrived during the previous batch.
    public var claimBatchLimit: Int { 128 }

    public func append(_ delivery: InboxDelivery, whenHandled: (@Sendable () -> Void)?,
                       completion: @escaping StoreCompletion<Int64>) {
        let waiters = handledWaiters
        let remoteWaits = self.remoteWaits
        appender.append(delivery) { result in
            if case .success(let id) = result, let whenHandled {
                waiters.add(id, whenHandled)
                remoteWaits.withLock { _ = $0.insert(id) }
            }
            completion(result)
        }
    }

    public func claimPending(limit: Int, nowMs: Int64, completion: @escaping StoreCompletion<[InboxRow]>) {
        let node = settings.nodeID, leaseMs = settings.leaseMs
        let strandedClaims = self.strandedClaims
        let stranded = strandedClaims.withLock { claims in defer { claims = [] }; return Array(claims) }
        writer.submit({ db in
            try PostgresInbox.release(db, ids: stranded, node: node, nowMs: nowMs)
            return try PostgresInbox.claimPending(db, node: node, leaseMs: leaseMs, limit: limit, nowMs: nowMs)
        }, completion: { result in
            if case .failure = result { strandedClaims.withLock { $0.formUnion(stranded) } }
            completion(result)
        })
        releaseSettledElsewhere()
    }

    public func process<Output: Sendable>(
        _ rows: [InboxRow], nowMs: Int64,
        apply: @escaping @Sendable (InboxRow, any ConversationTransaction) throws -> Output,
        onFailure: @escaping @Sendable (InboxRow, any Error) -> InboxFailurePlan,
        completion: @escaping StoreCompletion<[InboxResult<Output>]>
    ) {
        let node = settings.nodeID
        let strandedClaims = self.strandedClaims
        let completion: StoreCompletion<[InboxResult<Output>]> = { result in
            if case .failure = result { strandedClaims.withLock { $0.formUnion(rows.map(\.id)) } }
            completion(result)
        }
        writer.submit({ db in
            // Usually every row applies: one batch, a few round trips fewer per row. When one
            // throws, the batch is rolled back and the rows are settled one by one below.
            if let results = try PostgresBatchApply.run(rows, db: db, node: node, nowMs: nowMs, apply: apply) {
                return results
            }
            let conversations = PostgresConversations(db)
            return try rows.map { row in
                InboxResult(row: row, outcome: try Self.settle(row, db: db, node: node, conversations: conversations,
                                                               nowMs: nowMs, apply: apply, onFailure: onFailure))
            }
        }, completion: completion)
    }

    /// Apply and mark done in one savepoint (see SQLiteStore.settle); a connection loss fails
    /// the whole group instead of being treated as the row's failure.
    private static func settle<Output>(
        _ row: InboxRow, db: PostgresSession, node: String, conversations: PostgresConversations, nowMs: Int64,
        apply: (InboxRow, any ConversationTransaction) throws -> Output,
        onFailure: (InboxRow, any Error) -> InboxFailurePlan
    ) throws -> InboxOutcome<Output> {
        do {
            return try db.transaction {
                guard try PostgresInbox.markDone(db, id: row.id, node: node, nowMs: nowMs) else { return .skipped }
                return .done(try apply(row, conversations))
            }
        } catch {
            if !db.connection.isHealthy || (error as? StoreError)?.code == "unavailable" { throw error }
            switch onFailure(row, error) {
            case .retry(let atMs, let reason):
                guard let attempts = try PostgresInbox.markFailed(db, id: row.id, node: node, error: reason, retryAtMs: atMs) else {
                    return .skipped
                }
                return .retrying(attempts: attempts, reason: reason)
            case .deadLetter(let reason):
                guard let letter = try PostgresInbox.moveToDeadLetter(db, id: row.id, node: node, error: reason, nowMs: nowMs) else {
                    return .skipped
                }
                return .deadLettered(deadLetterID: letter, reason: reason)
            }
        }
    }

    public func releaseHandled(_ rowIDs: [Int64]) {
        remoteWaits.withLock { waits in for id in rowIDs { waits.remove(id) } }
        handledWaiters.release(rowIDs)
        guard !rowIDs.isEmpty else { return }
        // Published: the journal entries go. Queued on the writer ahead of the next claim, so
        // the next `unpublished` never returns them. A failure leaves them for a republish.
        let list = rowIDs.map(String.init).joined(separator: ",")
        writer.submit({ db in try db.run("DELETE FROM pending_publications WHERE inbox_id IN (\(list))") },
                      completion: { _ in })
    }

    /// Waiters whose rows another node applied (that node's releaseHandled cannot reach them):
    /// released once the row is settled in the database. Checked on every claim poll (≤ 1 s).
    private func releaseSettledElsewhere() {
        let waiting = remoteWaits.withLock { Array($0) }
        guard !waiting.isEmpty else { return }
        let waiters = handledWaiters, remoteWaits = self.remoteWaits
        readers.submit({ db in try PostgresInbox.settled(db, ids: waiting) }, completion: { result in
            guard case .success(let settled) = result, !settled.isEmpty else { return }
            remoteWaits.withLock { waits in for id in settled { waits.remove(id) } }
            waiters.release(settled)
        })
    }

    public func listDeadLetters(includeReplayed: Bool, limit: Int, completion: @escaping StoreCompletion<[DeadLetterRow]>) {
        readers.submit({ db in try PostgresInbox.listDeadLetters(db, includeReplayed: includeReplayed, limit: limit) },
                       completion: completion)
    }

    public func replayDeadLetter(id: Int64, nowMs: Int64, completion: @escaping StoreCompletion<Bool>) {
        writer.submit({ db in try PostgresInbox.replayDeadLetter(db, id: id, nowMs: nowMs) }, completion: completion)
    }

    public func resetProcessing(nowMs: Int64, completion: @escaping StoreCompletion<Int>) {
        let node = settings.nodeID
        writer.submit({ db in try PostgresInbox.resetProcessing(db, node: node, nowMs: nowMs) }, completion: completion)
    }

    public func inboxRow(id: Int64, completion: @escaping StoreCompletion<InboxRow?>) {
        readers.submit({ db in try PostgresInbox.row(db, id: id) }, completion: completion)
    }
}

extension PostgresStore: PublicationJournal {
    public func unpublished(limit: Int, completion: @escaping StoreCompletion<[PendingPublication]>) {
        let node = settings.nodeID, leaseMs = settings.leaseMs
        writer.submit({ db in
            guard try PostgresInbox.holdLease(db, name: PostgresInbox.inboxLease, node: node, leaseMs: leaseMs) else { return [] }
            return try db.rows("SELECT inbox_id, events FROM pending_publications ORDER BY inbox_id LIMIT $1",
                               [.int(Int64(max(0, limit)))]) { row in
                PendingPublication(inboxID: row.int64(0), events: JournalCoding.decode(row.bytes(1)) ?? [])
            }
        }, completion: completion)
    }
}
