// Delivery statuses: recorded once per (wamid, status), applied to the message monotonically.
import Store
import WhatsApp

extension ApplyRun {
    /// Yields `message.status` only when the status moved the message forwards.
    mutating func applyStatus(_ update: StatusUpdate) throws {
        let errorsJSON = update.errors.isEmpty ? nil : EventData.errorsText(update.errors)
        let recorded = try db.firstRow("""
            INSERT INTO statuses (wamid, status, timestamp_s, errors_json, received_at_ms) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (wamid, status) DO NOTHING
            RETURNING 1
            """, [.text(update.id), .text(update.status), .int(update.timestamp), .optionalText(errorsJSON), .int(nowMs)]) { _ in true }
        guard recorded != nil else { return }

        guard let message = try db.firstRow("""
            SELECT m.id, m.status, m.conversation_id, c.wa_id FROM messages m
            JOIN conversations c ON c.id = m.conversation_id WHERE m.wamid = ?
            """, [.text(update.id)], { ($0.int64(0), $0.text(1), $0.int64(2), $0.text(3) ?? "") })
        else { return }
        let (messageID, current, conversationID, waID) = message
        guard StatusRank.shouldAdvance(current: current, incoming: update.status) else { return }

        try RecordedStatuses.write(db: db, messageID: messageID, status: update.status, errorsJSON: errorsJSON)
        emit(topic: DomainEvent.conversationTopic(waID), type: "message.status", data: EventData.object([
            ("wamid", .string(update.id)),
            ("message_id", .int(messageID)),
            ("conversation_id", .int(conversationID)),
            ("status", .string(update.status)),
            ("timestamp", .int(update.timestamp)),
            ("errors", EventData.errors(update.errors)),
        ]))
    }
}

/// Statuses that arrived before their message.
enum RecordedStatuses {
    /// Folds every recorded status of the message's wamid into its current status, in arrival
    /// order, with the same monotonic rule as live updates. Returns the new status, or nil.
    static func apply(db: Database, messageID: Int64) throws -> String? {
        guard let (wamid, current) = try db.firstRow(
            "SELECT wamid, status FROM messages WHERE id = ?", [.int(messageID)], { ($0.text(0), $0.text(1)) }),
            let wamid
        else { return nil }
        let recorded = try db.rows(
            "SELECT status, errors_json FROM statuses WHERE wamid = ? ORDER BY received_at_ms, rowid",
            [.text(wamid)]) { ($0.text(0) ?? "", $0.text(1)) }
        var best: (status: String, errorsJSON: String?)?
        for (status, errorsJSON) in recorded
        where StatusRank.shouldAdvance(current: best?.status ?? current, incoming: status) {
            best = (status, errorsJSON)
        }
        guard let best else { return nil }
        try write(db: db, messageID: messageID, status: best.status, errorsJSON: best.errorsJSON)
        return best.status
    }

    /// A status's errors replace the message's only when it has some (a "failed" explains why).
    static func write(db: Database, messageID: Int64, status: String, errorsJSON: String?) throws {
        try db.run("""
            UPDATE messages SET status = ?, status_rank = ?, error_json = coalesce(?, error_json) WHERE id = ?
            """, [.text(status), .int(Int64(StatusRank.rank(status))), .optionalText(errorsJSON), .int(messageID)])
    }
}
