// The outbox over PostgreSQL: the same rows and transitions as SQLiteOutbox. Several nodes may
// enqueue at once, so conversation creation and idempotency keys resolve races with ON CONFLICT
// instead of relying on a single writer.
import Postgres

enum PostgresOutbox {
    static let unfinished = SQLiteOutbox.unfinished

    /// See `SQLiteOutbox.enqueue`. Another node inserting the same idempotency key first makes
    /// this insert conflict: its row is returned instead, as if it had been found up front.
    static func enqueue(_ db: PostgresSession, _ message: NewOutboundMessage, nowMs: Int64) throws -> EnqueueOutcome {
        if let key = message.idempotencyKey, let existing = try find(db, idempotencyKey: key) {
            return .existing(existing)
        }
        do {
            return try db.transaction { try insert(db, message, nowMs: nowMs) }
        } catch is IdempotencyKeyTaken {
            guard let key = message.idempotencyKey, let existing = try find(db, idempotencyKey: key) else {
                throw StoreError(code: "constraint", message: "outbox id already used")
            }
            return .existing(existing)
        }
    }

    private struct IdempotencyKeyTaken: Error {}

    private static func insert(_ db: PostgresSession, _ message: NewOutboundMessage, nowMs: Int64) throws -> EnqueueOutcome {
        let conversationID = try findOrCreateConversation(db, phoneNumberID: message.phoneNumberID, waID: message.toWaID)
        guard let messageID = try db.firstRow("""
            INSERT INTO messages (conversation_id, direction, type, body_json, timestamp_s, status, status_rank,
                                  created_at_ms, preview)
            VALUES ($1, 'out', $2, $3, $4, 'queued', 0, $5, $6) RETURNING id
            """, [.int(conversationID), .text(message.type), .text(message.contentJSON), .int(nowMs / 1000),
                  .int(nowMs), .optionalText(message.preview)], { $0.int64(0) }) else {
            throw StoreError(code: "misuse", message: "message insert returned no id")
        }
        try db.run("""
            UPDATE conversations SET last_message_preview = coalesce($1, last_message_preview),
                last_message_at_ms = $2, last_activity_ms = $3 WHERE id = $4
            """, [.optionalText(message.preview), .int(nowMs), .int(nowMs), .int(conversationID)])
        let inserted = try db.run("""
            INSERT INTO outbox (id, message_id, conversation_id, to_wa_id, phone_number_id, payload_json, status,
                                attempts, next_attempt_at_ms, idempotency_key, correlation_id, created_at_ms, updated_at_ms)
            VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9, $10, $11)
            ON CONFLICT DO NOTHING
            """, [.text(message.id), .int(messageID), .int(conversationID), .text(message.toWaID),
                  .text(message.phoneNumberID), .text(message.payloadJSON), .int(nowMs),
                  .optionalText(message.idempotencyKey), .optionalText(message.correlationID), .int(nowMs), .int(nowMs)])
        guard inserted > 0 else { throw IdempotencyKeyTaken() }
        guard let row = try load(db, id: message.id) else {
            throw StoreError(code: "misuse", message: "outbox row vanished after insert")
        }
        return .created(row)
    }

    /// Found, or created; a concurrent creator (another node) wins the insert and is found.
    static func findOrCreateConversation(_ db: PostgresSession, phoneNumberID: String, waID: String) throws -> Int64 {
        let key: [PostgresValue] = [.text(phoneNumberID), .text(waID)]
        if let id = try db.firstRow("SELECT id FROM conversations WHERE phone_number_id = $1 AND wa_id = $2", key, { $0.int64(0) }) {
            return id
        }
        if let id = try db.firstRow("""
            INSERT INTO conversations (phone_number_id, wa_id, unread_count) VALUES ($1, $2, 0)
            ON CONFLICT (phone_number_id, wa_id) DO NOTHING RETURNING id
            """, key, { $0.int64(0) }) {
            return id
        }
        guard let id = try db.firstRow("SELECT id FROM conversations WHERE phone_number_id = $1 AND wa_id = $2", key,
                                       { $0.int64(0) }) else {
            throw StoreError(code: "misuse", message: "conversation vanished after a conflicting insert")
        }
        return id
    }

    static func load(_ db: PostgresSession, id: String) throws -> OutboxRow? {
        try db.firstRow("SELECT \(columns) \(OutboxRow.from) WHERE o.id = $1", [.text(id)], outboxRow)
    }

    static func find(_ db: PostgresSession, idempotencyKey: String) throws -> OutboxRow? {
        try db.firstRow("SELECT \(columns) \(OutboxRow.from) WHERE o.idempotency_key = $1", [.text(idempotencyKey)], outboxRow)
    }

    /// See `SQLiteOutbox.dueHeads`.
    static func dueHeads(_ db: PostgresSession, nowMs: Int64, limit: Int) throws -> [OutboxRow] {
        try db.rows("""
            SELECT \(columns) \(OutboxRow.from)
            WHERE o.status IN ('queued', 'retrying') AND o.next_attempt_at_ms <= $1
              AND NOT EXISTS (SELECT 1 FROM outbox p
                              WHERE p.phone_number_id = o.phone_number_id AND p.to_wa_id = o.to_wa_id
                                AND p.status IN \(unfinished) AND p.seq < o.seq)
            ORDER BY o.seq LIMIT $2
            """, [.int(nowMs), .int(Int64(max(limit, 0)))], outboxRow)
    }

    static func nextDueAtMs(_ db: PostgresSession) throws -> Int64? {
        try db.firstRow("SELECT min(next_attempt_at_ms) FROM outbox WHERE status IN ('queued', 'retrying')") {
            $0.optionalInt64(0)
        } ?? nil
    }

    static func markSent(_ db: PostgresSession, id: String, wamid: String, attempts: Int, nowMs: Int64) throws -> Bool {
        try db.transaction {
            let changed = try db.run("""
                UPDATE outbox SET status = 'sent', wamid = $1, attempts = $2, next_attempt_at_ms = NULL, updated_at_ms = $3
                WHERE id = $4 AND status IN \(unfinished)
                """, [.text(wamid), .int(Int64(attempts)), .int(nowMs), .text(id)])
            guard changed > 0 else { return false }
            try db.run("""
                UPDATE messages SET wamid = $1, status = CASE WHEN status_rank < 1 THEN 'sent' ELSE status END,
                    status_rank = greatest(status_rank, 1)
                WHERE id = (SELECT message_id FROM outbox WHERE id = $2)
                """, [.text(wamid), .text(id)])
            return true
        }
    }

    static func markRetrying(_ db: PostgresSession, id: String, attempts: Int, nextAttemptAtMs: Int64,
                             lastError: String, nowMs: Int64) throws -> Bool {
        try db.run("""
            UPDATE outbox SET status = 'retrying', attempts = $1, next_attempt_at_ms = $2, last_error = $3, updated_at_ms = $4
            WHERE id = $5 AND status IN \(unfinished)
            """, [.int(Int64(attempts)), .int(nextAttemptAtMs), .text(lastError), .int(nowMs), .text(id)]) > 0
    }

    static func markFailed(_ db: PostgresSession, id: String, attempts: Int, lastError: String,
                           errorJSON: String, nowMs: Int64) throws -> Bool {
        try db.transaction {
            let changed = try db.run("""
                UPDATE outbox SET status = 'failed', attempts = $1, next_attempt_at_ms = NULL, last_error = $2, updated_at_ms = $3
                WHERE id = $4 AND status IN \(unfinished)
                """, [.int(Int64(attempts)), .text(lastError), .int(nowMs), .text(id)])
            guard changed > 0 else { return false }
            try db.run("""
                UPDATE messages SET status = 'failed', status_rank = 100, error_json = $1
                WHERE id = (SELECT message_id FROM outbox WHERE id = $2) AND status_rank < 100
                """, [.text(errorJSON), .text(id)])
            return true
        }
    }

    /// See `SQLiteOutbox.resumeOnStartup`.
    static func resumeOnStartup(_ db: PostgresSession, nowMs: Int64) throws -> OutboxResumeCounts {
        try db.transaction {
            let closed = try db.run("""
                UPDATE outbox SET status = 'sent', next_attempt_at_ms = NULL, updated_at_ms = $1
                WHERE status IN \(unfinished) AND wamid IS NOT NULL
                """, [.int(nowMs)])
            let resent = try db.run("""
                UPDATE outbox SET status = 'retrying', next_attempt_at_ms = $1, updated_at_ms = $2
                WHERE status = 'sending' AND wamid IS NULL
                """, [.int(nowMs), .int(nowMs)])
            return OutboxResumeCounts(resent: resent, closedAsSent: closed)
        }
    }

    /// SQLite's columns (`OutboxRow.columns`) with `seq` where it reads rowid.
    static let columns = """
        o.id, o.message_id, o.conversation_id, o.to_wa_id, o.phone_number_id, o.payload_json, o.status,
        o.attempts, o.next_attempt_at_ms, o.wamid, o.last_error, o.idempotency_key, o.correlation_id,
        o.created_at_ms, o.updated_at_ms, m.type, o.seq, m.status
        """

    static func outboxRow(_ row: PostgresRow) -> OutboxRow {
        var outbox = OutboxRow(
            id: row.text(0) ?? "", messageID: row.optionalInt64(1), conversationID: row.optionalInt64(2),
            toWaID: row.text(3) ?? "", phoneNumberID: row.text(4) ?? "", payloadJSON: row.text(5) ?? "",
            status: row.text(6) ?? "queued", attempts: Int(clamping: row.int64(7)), nextAttemptAtMs: row.optionalInt64(8),
            wamid: row.text(9), lastError: row.text(10), idempotencyKey: row.text(11), correlationID: row.text(12),
            createdAtMs: row.int64(13), updatedAtMs: row.int64(14), type: row.text(15), sequence: row.int64(16))
        outbox.deliveryStatus = row.text(17)
        return outbox
    }
}
