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
        var active = 0
        var failed = 0
        var byStatus: [String: Int] = [:]
        _ = try db.rows("SELECT status, COUNT(*) FROM outbox GROUP BY status") { row in
            let n = Int(row.int64(1))
            let status = row.text(0) ?? ""
            byStatus[status, default: 0] += n
            switch status {
            case "queued", "retrying", "sending": active += n
            case "failed": failed += n
            default: break
            }
        }
        let oldest = try db.firstRow("""
            SELECT MIN(created_at_ms) FROM outbox WHERE status IN ('queued', 'retrying', 'sending')
            """) { $0.optionalInt64(0) } ?? nil
        return OutboxDepth(active: active, failed: failed, oldestActiveAgeMs: oldest.map { max(0, nowMs &- $0) },
                           byStatus: byStatus)
    }
}
