// The fast path of applying a claimed batch on PostgreSQL: every round trip costs the same
// whatever it carries, so the per-row bookkeeping is done per batch. One savepoint for the batch
// instead of two per row, one UPDATE that marks every row done (under this node's claim, the
// same fence as the per-row mark), and one INSERT for the batch's publication journal. Only the
// apply statements themselves stay per row.
//
// It is all or nothing: if any row's apply throws, the batch is rolled back to its savepoint and
// the caller settles the rows one by one (the per-row savepoint path, which retries or
// dead-letters the failing row alone). Nothing a row's apply did survives the rollback, so a row
// is still applied and marked done exactly once, in the same transaction as its journal entry.
import Postgres

enum PostgresBatchApply {
    /// The outcomes in row order, or nil when a row failed and the batch was rolled back (then
    /// nothing of it remains). Connection loss is thrown, as in the per-row path.
    static func run<Output>(
        _ rows: [InboxRow], db: PostgresSession, node: String, nowMs: Int64,
        apply: (InboxRow, any ConversationTransaction) throws -> Output
    ) throws -> [InboxResult<Output>]? {
        guard !rows.isEmpty else { return [] }
        try db.execute("SAVEPOINT sb_batch")
        do {
            let results = try applyAll(rows, db: db, node: node, nowMs: nowMs, apply: apply)
            try db.execute("RELEASE SAVEPOINT sb_batch")
            return results
        } catch {
            if !db.connection.isHealthy || (error as? StoreError)?.code == "unavailable" { throw error }
            try db.execute("ROLLBACK TO SAVEPOINT sb_batch")
            try db.execute("RELEASE SAVEPOINT sb_batch")
            return nil
        }
    }

    private static func applyAll<Output>(
        _ rows: [InboxRow], db: PostgresSession, node: String, nowMs: Int64,
        apply: (InboxRow, any ConversationTransaction) throws -> Output
    ) throws -> [InboxResult<Output>] {
        let claimed = try markDone(db, ids: rows.map(\.id), node: node, nowMs: nowMs)
        let conversations = PostgresConversations(db, batched: true)
        var results: [InboxResult<Output>] = []
        results.reserveCapacity(rows.count)
        for row in rows {
            guard claimed.contains(row.id) else {
                results.append(InboxResult(row: row, outcome: .skipped))
                continue
            }
            results.append(InboxResult(row: row, outcome: .done(try apply(row, conversations))))
        }
        try conversations.flushJournal()
        return results
    }

    /// Marks the rows still processing under this node's claim done; returns their ids. The ids
    /// travel as one text parameter, so the statement is prepared once whatever the batch size.
    static func markDone(_ db: PostgresSession, ids: [Int64], node: String, nowMs: Int64) throws -> Set<Int64> {
        let list = ids.map(String.init).joined(separator: ",")
        return Set(try db.rows("""
            UPDATE inbox SET status = 'done', processed_at_ms = $1, last_error = NULL, claimed_by = NULL
            WHERE id = ANY(string_to_array($2, ',')::bigint[]) AND status = 'processing' AND claimed_by = $3
            RETURNING id
            """, [.int(nowMs), .text(list), .text(node)]) { $0.int64(0) })
    }

    /// The batch's journal entries in one multi-row INSERT (three parameters a row, so a batch
    /// stays far below PostgreSQL's 65,535).
    static func insertJournal(_ db: PostgresSession, _ entries: [(inboxID: Int64, events: [UInt8])]) throws {
        guard !entries.isEmpty else { return }
        var values: [PostgresValue] = []
        values.reserveCapacity(entries.count * 2)
        var tuples: [String] = []
        for (index, entry) in entries.enumerated() {
            tuples.append("($\(index * 2 + 1), $\(index * 2 + 2), \(PostgresInbox.databaseNowMs))")
            values += [.int(entry.inboxID), .bytes(entry.events)]
        }
        try db.run("""
            INSERT INTO pending_publications (inbox_id, events, created_at_ms) VALUES \(tuples.joined(separator: ", "))
            ON CONFLICT (inbox_id) DO UPDATE SET events = excluded.events
            """, values)
    }
}
