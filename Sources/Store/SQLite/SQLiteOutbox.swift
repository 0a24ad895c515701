// The durable outbox of outbound messages: enqueue (with the conversation's message row), the
// per-recipient head-of-line query the sender works from, and the state changes of a send.
// Pure SQL over a `Database`; knows nothing about WhatsApp beyond the columns it stores.

public enum SQLiteOutbox {
    /// Statuses of a message that has not finished; the head of each recipient's line is the
    /// oldest of these.
    static let unfinished = "('queued', 'retrying', 'sending')"

    /// Inserts the outbox row and an outbound `messages` row (status queued) in the customer's
    /// conversation, found or created by (phone_number_id, wa_id). With an idempotency key that
    /// exists already, returns the first row instead and writes nothing. Run inside a writer job
    /// (one transaction), so the check and the insert cannot interleave with another request.
    public static func enqueue(_ db: Database, _ message: NewOutboundMessage, nowMs: Int64) throws -> EnqueueOutcome {
        if let key = message.idempotencyKey, let existing = try find(db, idempotencyKey: key) {
            return .existing(existing)
        }
        return try db.transaction {
            let conversationID = try findOrCreateConversation(db, phoneNumberID: message.phoneNumberID, waID: message.toWaID)
            try db.run("""
                INSERT INTO messages (conversation_id, direction, type, body_json, timestamp_s, status, status_rank,
                                      created_at_ms, preview)
                VALUES (?, 'out', ?, ?, ?, 'queued', 0, ?, ?)
                """, [.int(conversationID), .text(message.type), .text(message.contentJSON), .int(nowMs / 1000),
                      .int(nowMs), .optionalText(message.preview)])
            let messageID = db.lastInsertRowID
            try db.run("""
                UPDATE conversations SET last_message_preview = coalesce(?, last_message_preview),
                    last_message_at_ms = ?, last_activity_ms = ? WHERE id = ?
                """, [.optionalText(message.preview), .int(nowMs), .int(nowMs), .int(conversationID)])
            try db.run("""
                INSERT INTO outbox (id, message_id, conversation_id, to_wa_id, phone_number_id, payload_json, status,
                                    attempts, next_attempt_at_ms, idempotency_key, correlation_id, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?)
                """, [.text(message.id), .int(messageID), .int(conversationID), .text(message.toWaID),
                      .text(message.phoneNumberID), .text(message.payloadJSON), .int(nowMs),
                      .optionalText(message.idempotencyKey), .optionalText(message.correlationID), .int(nowMs), .int(nowMs)])
            guard let row = try load(db, id: message.id) else {
                throw StoreError(code: "misuse", message: "outbox row vanished after insert")
            }
            return .created(row)
        }
    }

    static func findOrCreateConversation(_ db: Database, phoneNumberID: String, waID: String) throws -> Int64 {
        if let id = try db.firstRow("SELECT id FROM conversations WHERE phone_number_id = ? AND wa_id = ?",
                                    [.text(phoneNumberID), .text(waID)], { $0.int64(0) }) {
            return id
        }
        try db.run("INSERT INTO conversations (phone_number_id, wa_id, unread_count) VALUES (?, ?, 0)",
                   [.text(phoneNumberID), .text(waID)])
        return db.lastInsertRowID
    }

    public static func load(_ db: Database, id: String) throws -> OutboxRow? {
        try db.firstRow("SELECT \(OutboxRow.columns) \(OutboxRow.from) WHERE o.id = ?", [.text(id)], OutboxRow.init)
    }

    public static func find(_ db: Database, idempotencyKey: String) throws -> OutboxRow? {
        try db.firstRow("SELECT \(OutboxRow.columns) \(OutboxRow.from) WHERE o.idempotency_key = ?",
                        [.text(idempotencyKey)], OutboxRow.init)
    }

    /// The rows that may be sent now, oldest first: for each (phone number, recipient) only the
    /// oldest unfinished row, and only if it is queued or retrying and due. A recipient whose
    /// oldest message is still waiting for a retry (or in flight) therefore gets nothing, which
    /// keeps every recipient's messages in order. Nothing is changed: the sender tracks what it
    /// has in flight itself, and its result write is what moves a row on.
    public static func dueHeads(_ db: Database, nowMs: Int64, limit: Int) throws -> [OutboxRow] {
        try db.rows("""
            SELECT \(OutboxRow.columns) \(OutboxRow.from)
            WHERE o.status IN ('queued', 'retrying') AND o.next_attempt_at_ms <= ?
              AND NOT EXISTS (SELECT 1 FROM outbox p
                              WHERE p.phone_number_id = o.phone_number_id AND p.to_wa_id = o.to_wa_id
                                AND p.status IN \(unfinished) AND p.rowid < o.rowid)
            ORDER BY o.rowid LIMIT ?
            """, [.int(nowMs), .int(Int64(max(limit, 0)))], OutboxRow.init)
    }

    /// The earliest `next_attempt_at_ms` among unfinished queued/retrying rows, to sleep until.
    public static func nextDueAtMs(_ db: Database) throws -> Int64? {
        try db.firstRow("SELECT min(next_attempt_at_ms) FROM outbox WHERE status IN ('queued', 'retrying')") {
            $0.optionalInt64(0)
        } ?? nil
    }

    /// Graph accepted the message: stores the wamid on the outbox and message rows and marks
    /// both sent (the message only if no later status got there first). Returns false when the
    /// row is unknown or already finished (nothing changed).
    @discardableResult
    public static func markSent(_ db: Database, id: String, wamid: String, attempts: Int, nowMs: Int64) throws -> Bool {
        try db.transaction {
            try db.run("""
                UPDATE outbox SET status = 'sent', wamid = ?, attempts = ?, next_attempt_at_ms = NULL, updated_at_ms = ?
                WHERE id = ? AND status IN \(unfinished)
                """, [.text(wamid), .int(Int64(attempts)), .int(nowMs), .text(id)])
            guard db.changes > 0 else { return false }
            try db.run("""
                UPDATE messages SET wamid = ?, status = CASE WHEN status_rank < 1 THEN 'sent' ELSE status END,
                    status_rank = max(status_rank, 1)
                WHERE id = (SELECT message_id FROM outbox WHERE id = ?)
                """, [.text(wamid), .text(id)])
            return true
        }
    }

    /// A transient failure: the row waits until `nextAttemptAtMs`.
    @discardableResult
    public static func markRetrying(_ db: Database, id: String, attempts: Int, nextAttemptAtMs: Int64,
                                    lastError: String, nowMs: Int64) throws -> Bool {
        try db.run("""
            UPDATE outbox SET status = 'retrying', attempts = ?, next_attempt_at_ms = ?, last_error = ?, updated_at_ms = ?
            WHERE id = ? AND status IN \(unfinished)
            """, [.int(Int64(attempts)), .int(nextAttemptAtMs), .text(lastError), .int(nowMs), .text(id)])
        return db.changes > 0
    }

    /// A permanent failure (or attempts spent): final. `errorJSON` (a JSON array of Graph-style
    /// error objects) goes on the message row so the inbox can show why.
    @discardableResult
    public static func markFailed(_ db: Database, id: String, attempts: Int, lastError: String,
                                  errorJSON: String, nowMs: Int64) throws -> Bool {
        try db.transaction {
            try db.run("""
                UPDATE outbox SET status = 'failed', attempts = ?, next_attempt_at_ms = NULL, last_error = ?, updated_at_ms = ?
                WHERE id = ? AND status IN \(unfinished)
                """, [.int(Int64(attempts)), .text(lastError), .int(nowMs), .text(id)])
            guard db.changes > 0 else { return false }
            try db.run("""
                UPDATE messages SET status = 'failed', status_rank = 100, error_json = ?
                WHERE id = (SELECT message_id FROM outbox WHERE id = ?) AND status_rank < 100
                """, [.text(errorJSON), .text(id)])
            return true
        }
    }

    /// Start-up after a crash or a stop. A row that has a wamid was accepted by Graph and is
    /// never sent again (it is marked sent); a row left 'sending' without one may or may not
    /// have reached Graph, and is resent now (see the sender's note on duplicates). Returns
    /// (resumed for sending, closed as sent).
    public static func resumeOnStartup(_ db: Database, nowMs: Int64) throws -> (resent: Int, closedAsSent: Int) {
        try db.transaction {
            try db.run("""
                UPDATE outbox SET status = 'sent', next_attempt_at_ms = NULL, updated_at_ms = ?
                WHERE status IN \(unfinished) AND wamid IS NOT NULL
                """, [.int(nowMs)])
            let closed = db.changes
            try db.run("""
                UPDATE outbox SET status = 'retrying', next_attempt_at_ms = ?, updated_at_ms = ?
                WHERE status = 'sending' AND wamid IS NULL
                """, [.int(nowMs), .int(nowMs)])
            return (db.changes, closed)
        }
    }
}

/// How the SQLite outbox reads an `OutboxRow`: the outbox joined with its message row.
extension OutboxRow {
    static let columns = """
        o.id, o.message_id, o.conversation_id, o.to_wa_id, o.phone_number_id, o.payload_json, o.status,
        o.attempts, o.next_attempt_at_ms, o.wamid, o.last_error, o.idempotency_key, o.correlation_id,
        o.created_at_ms, o.updated_at_ms, m.type, o.rowid, m.status
        """
    static let from = "FROM outbox o LEFT JOIN messages m ON m.id = o.message_id"

    init(_ row: Statement) {
        self.init(
            id: row.text(0) ?? "", messageID: row.optionalInt64(1), conversationID: row.optionalInt64(2),
            toWaID: row.text(3) ?? "", phoneNumberID: row.text(4) ?? "", payloadJSON: row.text(5) ?? "",
            status: row.text(6) ?? "queued", attempts: Int(clamping: row.int64(7)), nextAttemptAtMs: row.optionalInt64(8),
            wamid: row.text(9), lastError: row.text(10), idempotencyKey: row.text(11), correlationID: row.text(12),
            createdAtMs: row.int64(13), updatedAtMs: row.int64(14), type: row.text(15), sequence: row.int64(16))
        deliveryStatus = row.text(17)
    }
}
