// Typed access to the inbox and dead_letters tables: raw webhook bodies waiting to be processed.
// Rows only: parsing webhook payloads belongs to the WhatsApp module, not here.

/// Status flow: pending → processing (claimed) → done; or back to pending with a later
/// `next_attempt_at_ms` (failed, will retry); or dead (moved to dead_letters, replayable).
/// All functions must run on the writer (mutations) or a reader (queries).
public enum SQLiteInbox {
    static let rowColumns = """
        id, received_at_ms, body, signature, correlation_id, status, attempts, next_attempt_at_ms, last_error
        """

    /// Stores a delivery as pending, due immediately. Returns its id (arrival order).
    @discardableResult
    public static func append(_ db: Database, body: [UInt8], signature: String, correlationID: String,
                              receivedAtMs: Int64) throws -> Int64 {
        try db.run("""
            INSERT INTO inbox (received_at_ms, body, signature, correlation_id, status, attempts, next_attempt_at_ms)
            VALUES (?, ?, ?, ?, 'pending', 0, ?)
            """, [.int(receivedAtMs), .blob(body), .text(signature), .text(correlationID), .int(receivedAtMs)])
        return db.lastInsertRowID
    }

    /// Takes up to `limit` due pending rows in arrival order and marks them processing, atomically.
    /// The returned rows show status "processing"; `attempts` is unchanged until `markFailed`.
    public static func claimPending(_ db: Database, limit: Int, nowMs: Int64) throws -> [InboxRow] {
        guard limit > 0 else { return [] }
        return try db.transaction {
            let due = try db.rows("""
                SELECT \(rowColumns) FROM inbox
                WHERE status = 'pending' AND next_attempt_at_ms <= ?
                ORDER BY id LIMIT ?
                """, [.int(nowMs), .int(Int64(limit))], inboxRow)
            for claimed in due {
                try db.run("UPDATE inbox SET status = 'processing' WHERE id = ?", [.int(claimed.id)])
            }
            return due.map { claimed in
                InboxRow(id: claimed.id, receivedAtMs: claimed.receivedAtMs, body: claimed.body,
                         signature: claimed.signature, correlationID: claimed.correlationID,
                         status: "processing", attempts: claimed.attempts,
                         nextAttemptAtMs: claimed.nextAttemptAtMs, lastError: claimed.lastError)
            }
        }
    }

    /// Returns false when the row is not (or no longer) processing, e.g. an unknown id.
    @discardableResult
    public static func markDone(_ db: Database, id: Int64, nowMs: Int64) throws -> Bool {
        try db.run("""
            UPDATE inbox SET status = 'done', processed_at_ms = ?, last_error = NULL
            WHERE id = ? AND status = 'processing'
            """, [.int(nowMs), .int(id)])
        return db.changes > 0
    }

    /// Puts a processing row back to pending, due at `retryAtMs`, counting the attempt.
    /// Returns the new attempt count, or nil when the row is not processing; the caller compares
    /// it with its retry limit and calls `moveToDeadLetter` when exhausted.
    @discardableResult
    public static func markFailed(_ db: Database, id: Int64, error: String, retryAtMs: Int64) throws -> Int? {
        try db.run("""
            UPDATE inbox SET status = 'pending', attempts = attempts + 1, next_attempt_at_ms = ?, last_error = ?
            WHERE id = ? AND status = 'processing'
            """, [.int(retryAtMs), .text(error), .int(id)])
        guard db.changes > 0 else { return nil }
        return try db.firstRow("SELECT attempts FROM inbox WHERE id = ?", [.int(id)]) { Int($0.int64(0)) }
    }

    /// Gives up on a row (pending or processing): marks it dead and records a dead letter that
    /// can be listed and replayed. Counts this failure as an attempt. Returns the dead letter's
    /// id, or nil when the row does not exist or is already done/dead.
    @discardableResult
    public static func moveToDeadLetter(_ db: Database, id: Int64, error: String, nowMs: Int64) throws -> Int64? {
        try db.transaction {
            try db.run("""
                UPDATE inbox SET status = 'dead', attempts = attempts + 1, last_error = ?
                WHERE id = ? AND status IN ('pending', 'processing')
                """, [.text(error), .int(id)])
            guard db.changes > 0 else { return nil }
            try db.run("""
                INSERT INTO dead_letters (inbox_id, failed_at_ms, error, attempts)
                SELECT id, ?, ?, attempts FROM inbox WHERE id = ?
                """, [.int(nowMs), .text(error), .int(id)])
            return db.lastInsertRowID
        }
    }

    /// Oldest first. Replayed letters stay listed only when asked, as history.
    public static func listDeadLetters(_ db: Database, includeReplayed: Bool = false, limit: Int = 100) throws -> [DeadLetterRow] {
        try db.rows("""
            SELECT id, inbox_id, failed_at_ms, error, attempts, replayed_at_ms FROM dead_letters
            WHERE ? OR replayed_at_ms IS NULL
            ORDER BY id LIMIT ?
            """, [.int(includeReplayed ? 1 : 0), .int(Int64(max(0, limit)))]) { row in
            DeadLetterRow(id: row.int64(0), inboxID: row.int64(1), failedAtMs: row.int64(2), error: row.text(3),
                          attempts: Int(row.int64(4)), replayedAtMs: row.optionalInt64(5))
        }
    }

    /// Sends a dead letter's row back to pending (due now, attempts reset) and stamps the letter
    /// replayed. Returns false for an unknown or already replayed letter.
    @discardableResult
    public static func replayDeadLetter(_ db: Database, id: Int64, nowMs: Int64) throws -> Bool {
        try db.transaction {
            try db.run("UPDATE dead_letters SET replayed_at_ms = ? WHERE id = ? AND replayed_at_ms IS NULL",
                       [.int(nowMs), .int(id)])
            guard db.changes > 0 else { return false }
            try db.run("""
                UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at_ms = ?
                WHERE id = (SELECT inbox_id FROM dead_letters WHERE id = ?) AND status = 'dead'
                """, [.int(nowMs), .int(id)])
            return db.changes > 0
        }
    }

    /// Rows a crash left in processing go back to pending, due now. Call once at start-up,
    /// before workers claim anything. Returns how many were reset.
    @discardableResult
    public static func resetProcessingOnStartup(_ db: Database, nowMs: Int64) throws -> Int {
        try db.run("UPDATE inbox SET status = 'pending', next_attempt_at_ms = ? WHERE status = 'processing'",
                   [.int(nowMs)])
        return db.changes
    }

    public static func depth(_ db: Database) throws -> InboxDepth {
        var counts: [String: Int] = [:]
        _ = try db.rows("""
            SELECT status, COUNT(*) FROM inbox WHERE status IN ('pending', 'processing', 'dead') GROUP BY status
            """) { row in
            counts[row.text(0) ?? ""] = Int(row.int64(1))
        }
        return InboxDepth(pending: counts["pending"] ?? 0, processing: counts["processing"] ?? 0,
                          dead: counts["dead"] ?? 0)
    }

    /// Age of the oldest row not yet done (pending or processing), or nil when there is none:
    /// the "is processing keeping up" signal.
    public static func oldestUnprocessedAgeMs(_ db: Database, nowMs: Int64) throws -> Int64? {
        let oldest = try db.firstRow("""
            SELECT MIN(received_at_ms) FROM inbox WHERE status IN ('pending', 'processing')
            """) { $0.optionalInt64(0) } ?? nil
        return oldest.map { max(0, nowMs &- $0) }
    }

    /// One row by id, for inspection and tests.
    public static func row(_ db: Database, id: Int64) throws -> InboxRow? {
        try db.firstRow("SELECT \(rowColumns) FROM inbox WHERE id = ?", [.int(id)], inboxRow)
    }

    static func inboxRow(_ statement: Statement) -> InboxRow {
        InboxRow(id: statement.int64(0), receivedAtMs: statement.int64(1), body: statement.blob(2),
                 signature: statement.text(3), correlationID: statement.text(4),
                 status: statement.text(5) ?? "", attempts: Int(statement.int64(6)),
                 nextAttemptAtMs: statement.int64(7), lastError: statement.text(8))
    }
}
