// The inbox and dead letters over PostgreSQL, shared by several nodes. Applying is done by one
// node at a time, the holder of the "inbox" lease: that keeps every conversation's rows in
// arrival order across the cluster. A row is marked done only by the node that claimed it
// (`claimed_by`), so a node that lost its lease (paused, partitioned) has its late writes
// refused and rolled back: whichever node holds a row, it is applied exactly once.
import Postgres

enum PostgresInbox {
    static let rowColumns = SQLiteInbox.rowColumns
    static let inboxLease = "inbox"

    /// The database's clock in milliseconds: leases never depend on the nodes' clocks agreeing.
    static let databaseNowMs = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    /// Appends many deliveries with one statement; ids in the order given (arrival order).
    static func append(_ db: PostgresSession, _ deliveries: [InboxDelivery]) throws -> [Int64] {
        guard !deliveries.isEmpty else { return [] }
        var values: [PostgresValue] = []
        values.reserveCapacity(deliveries.count * 5)
        var tuples: [String] = []
        for (index, delivery) in deliveries.enumerated() {
            let n = index * 5
            tuples.append("($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), 'pending', 0, $\(n + 5), \(index))")
            values += [.int(delivery.receivedAtMs), .bytes(delivery.body), .text(delivery.signature),
                       .text(delivery.correlationID), .int(delivery.receivedAtMs)]
        }
        // Identity values are drawn in the VALUES order, so ids follow arrival order; the
        // ordinal maps each returned id back to its delivery.
        let rows = try db.rows("""
            WITH added AS (
                INSERT INTO inbox (received_at_ms, body, signature, correlation_id, status, attempts, next_attempt_at_ms)
                SELECT r, b, s, c, st, a, n FROM (VALUES \(tuples.joined(separator: ", ")))
                    AS v(r, b, s, c, st, a, n, ordinal) ORDER BY ordinal
                RETURNING id
            ) SELECT id FROM added ORDER BY id
            """, values) { $0.int64(0) }
        guard rows.count == deliveries.count else {
            throw StoreError(code: "misuse", message: "inbox insert returned \(rows.count) ids for \(deliveries.count) rows")
        }
        return rows
    }

    /// Takes or renews a named lease for `node`; false while another node holds it unexpired.
    static func holdLease(_ db: PostgresSession, name: String, node: String, leaseMs: Int64) throws -> Bool {
        try db.firstRow("""
            INSERT INTO leases AS l (name, holder, expires_at_ms) VALUES ($1, $2, \(databaseNowMs) + $3)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
            WHERE l.holder = excluded.holder OR l.expires_at_ms < \(databaseNowMs)
            RETURNING 1
            """, [.text(name), .text(node), .int(leaseMs)]) { _ in true } ?? false
    }

    /// The lease holder's claim: rows another node left processing (it lost the lease, so they
    /// are not being applied) go back to pending first, then the oldest due rows are claimed.
    static func claimPending(_ db: PostgresSession, node: String, leaseMs: Int64, limit: Int, nowMs: Int64) throws -> [InboxRow] {
        guard limit > 0, try holdLease(db, name: inboxLease, node: node, leaseMs: leaseMs) else { return [] }
        try db.run("""
            UPDATE inbox SET status = 'pending', claimed_by = NULL
            WHERE status = 'processing' AND claimed_by IS DISTINCT FROM $1
            """, [.text(node)])
        let claimed = try db.rows("""
            UPDATE inbox SET status = 'processing', claimed_by = $1
            WHERE id IN (SELECT id FROM inbox WHERE status = 'pending' AND next_attempt_at_ms <= $2
                         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING \(rowColumns)
            """, [.text(node), .int(nowMs), .int(Int64(limit))], inboxRow)
        return claimed.sorted { $0.id < $1.id }
    }

    /// Rows this node claimed and could not settle go back to pending (due at `nowMs`).
    static func release(_ db: PostgresSession, ids: [Int64], node: String, nowMs: Int64) throws {
        guard !ids.isEmpty else { return }
        let list = ids.map(String.init).joined(separator: ",")
        try db.run("""
            UPDATE inbox SET status = 'pending', next_attempt_at_ms = least(next_attempt_at_ms, $1), claimed_by = NULL
            WHERE id IN (\(list)) AND status = 'processing' AND claimed_by = $2
            """, [.int(nowMs), .text(node)])
    }

    /// False when the row is not (or no longer) processing under this node's claim.
    static func markDone(_ db: PostgresSession, id: Int64, node: String, nowMs: Int64) throws -> Bool {
        try db.run("""
            UPDATE inbox SET status = 'done', processed_at_ms = $1, last_error = NULL, claimed_by = NULL
            WHERE id = $2 AND status = 'processing' AND claimed_by = $3
            """, [.int(nowMs), .int(id), .text(node)]) > 0
    }

    /// Back to pending, due at `retryAtMs`, counting the attempt; nil when not claimed by `node`.
    static func markFailed(_ db: PostgresSession, id: Int64, node: String, error: String, retryAtMs: Int64) throws -> Int? {
        try db.firstRow("""
            UPDATE inbox SET status = 'pending', attempts = attempts + 1, next_attempt_at_ms = $1, last_error = $2,
                claimed_by = NULL
            WHERE id = $3 AND status = 'processing' AND claimed_by = $4
            RETURNING attempts
            """, [.int(retryAtMs), .text(error), .int(id), .text(node)]) { Int($0.int64(0)) }
    }

    /// Dead-letters a pending row or one this node claimed; nil otherwise.
    static func moveToDeadLetter(_ db: PostgresSession, id: Int64, node: String, error: String, nowMs: Int64) throws -> Int64? {
        try db.firstRow("""
            WITH dead AS (
                UPDATE inbox SET status = 'dead', attempts = attempts + 1, last_error = $1, claimed_by = NULL
                WHERE id = $2 AND (status = 'pending' OR (status = 'processing' AND claimed_by = $3))
                RETURNING id, attempts
            )
            INSERT INTO dead_letters (inbox_id, failed_at_ms, error, attempts)
            SELECT id, $4, $1, attempts FROM dead
            RETURNING id
            """, [.text(error), .int(id), .text(node), .int(nowMs)]) { $0.int64(0) }
    }

    static func listDeadLetters(_ db: PostgresSession, includeReplayed: Bool, limit: Int) throws -> [DeadLetterRow] {
        try db.rows("""
            SELECT id, inbox_id, failed_at_ms, error, attempts, replayed_at_ms FROM dead_letters
            WHERE $1 = 1 OR replayed_at_ms IS NULL
            ORDER BY id LIMIT $2
            """, [.int(includeReplayed ? 1 : 0), .int(Int64(max(0, limit)))]) { row in
            DeadLetterRow(id: row.int64(0), inboxID: row.int64(1), failedAtMs: row.int64(2), error: row.text(3),
                          attempts: Int(row.int64(4)), replayedAtMs: row.optionalInt64(5))
        }
    }

    static func replayDeadLetter(_ db: PostgresSession, id: Int64, nowMs: Int64) throws -> Bool {
        try db.transaction {
            guard let inboxID = try db.firstRow("""
                UPDATE dead_letters SET replayed_at_ms = $1 WHERE id = $2 AND replayed_at_ms IS NULL RETURNING inbox_id
                """, [.int(nowMs), .int(id)], { $0.int64(0) }) else { return false }
            return try db.run("""
                UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at_ms = $1, claimed_by = NULL
                WHERE id = $2 AND status = 'dead'
                """, [.int(nowMs), .int(inboxID)]) > 0
        }
    }

    /// This node's own claims (left by its previous run, or by a failed commit) go back to
    /// pending; unclaimed processing rows too. Other nodes' claims are left to the lease.
    static func resetProcessing(_ db: PostgresSession, node: String, nowMs: Int64) throws -> Int {
        try db.run("""
            UPDATE inbox SET status = 'pending', next_attempt_at_ms = $1, claimed_by = NULL
            WHERE status = 'processing' AND (claimed_by = $2 OR claimed_by IS NULL)
            """, [.int(nowMs), .text(node)])
    }

    static func row(_ db: PostgresSession, id: Int64) throws -> InboxRow? {
        try db.firstRow("SELECT \(rowColumns) FROM inbox WHERE id = $1", [.int(id)], inboxRow)
    }

    /// Of `ids`, those no worker will touch again (done or dead): for waiters on another node.
    static func settled(_ db: PostgresSession, ids: [Int64]) throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        let list = ids.map(String.init).joined(separator: ",")
        return try db.rows("SELECT id FROM inbox WHERE id IN (\(list)) AND status IN ('done', 'dead')") { $0.int64(0) }
    }

    static func backlog(_ db: PostgresSession, nowMs: Int64) throws -> InboxBacklog {
        var counts: [String: Int] = [:]
        _ = try db.rows("""
            SELECT status, count(*) FROM inbox WHERE status IN ('pending', 'processing', 'dead') GROUP BY status
            """) { row in counts[row.text(0) ?? ""] = Int(row.int64(1)) }
        let oldest = try db.firstRow("""
            SELECT min(received_at_ms) FROM inbox WHERE status IN ('pending', 'processing')
            """) { $0.optionalInt64(0) } ?? nil
        let open = try db.firstRow("SELECT count(*) FROM dead_letters WHERE replayed_at_ms IS NULL") { Int($0.int64(0)) } ?? 0
        return InboxBacklog(depth: InboxDepth(pending: counts["pending"] ?? 0, processing: counts["processing"] ?? 0,
                                              dead: counts["dead"] ?? 0),
                            oldestUnprocessedAgeMs: oldest.map { max(0, nowMs &- $0) },
                            openDeadLetters: open)
    }

    static func inboxRow(_ row: PostgresRow) -> InboxRow {
        InboxRow(id: row.int64(0), receivedAtMs: row.int64(1), body: row.bytes(2),
                 signature: row.text(3), correlationID: row.text(4),
                 status: row.text(5) ?? "", attempts: Int(row.int64(6)),
                 nextAttemptAtMs: row.int64(7), lastError: row.text(8))
    }
}

enum PostgresHealth {
    static func writeProbe(_ db: PostgresSession, value: String) throws {
        try db.run("INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   [.text(SQLiteHealth.probeKey), .text(value)])
    }

    static func readProbe(_ db: PostgresSession) throws -> String? {
        try db.firstRow("SELECT value FROM kv WHERE key = $1", [.text(SQLiteHealth.probeKey)]) { $0.text(0) } ?? nil
    }

    static func outboxDepth(_ db: PostgresSession, nowMs: Int64) throws -> OutboxDepth {
        let counts = try db.rows("SELECT status, count(*) FROM outbox GROUP BY status") { row in
            (status: row.text(0) ?? "", count: Int(row.int64(1)))
        }
        let oldest = try db.firstRow("""
            SELECT min(created_at_ms) FROM outbox WHERE status IN ('queued', 'retrying', 'sending')
            """) { $0.optionalInt64(0) } ?? nil
        return OutboxDepth.from(statusCounts: counts, oldestActiveCreatedAtMs: oldest, nowMs: nowMs)
    }
}
