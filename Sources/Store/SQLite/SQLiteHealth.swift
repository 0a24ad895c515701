// Small queries behind health checks, alerts and metrics: a real write+read probe of the
// database, open dead letters, and how far behind the outbox is.

public enum SQLiteHealth {
    static let probeKey = "health.probe"

    /// Upserts a row the health check can read back: proves the database takes writes.
    public static func writeProbe(_ db: Database, value: String) throws {
        try db.run("INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   [.text(probeKey), .text(value)])
    }

    public static func readProbe(_ db: Database) throws -> String? {
        try db.firstRow("SELECT value FROM kv WHERE key = ?", [.text(probeKey)]) { $0.text(0) } ?? nil
    }

    /// Dead letters that have not been replayed.
    public static func openDeadLetters(_ db: Database) throws -> Int {
        try db.firstRow("SELECT COUNT(*) FROM dead_letters WHERE replayed_at_ms IS NULL") { Int($0.int64(0)) } ?? 0
    }

    public static func outboxDepth(_ db: Database, nowMs: Int64) throws -> OutboxDepth {
        let counts = try db.rows("SELECT status, COUNT(*) FROM outbox GROUP BY status") { row in
            (status: row.text(0) ?? "", count: Int(row.int64(1)))
        }
        let oldest = try db.firstRow("""
            SELECT MIN(created_at_ms) FROM outbox WHERE status IN ('queued', 'retrying', 'sending')
            """) { $0.optionalInt64(0) } ?? nil
        return OutboxDepth.from(statusCounts: counts, oldestActiveCreatedAtMs: oldest, nowMs: nowMs)
    }
}
