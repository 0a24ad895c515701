// Contacts, conversations and inbound messages: the message half of an InboundApplier run.
import Store
import WhatsApp

extension ApplyRun {
    /// Fills in what the payload tells us and keeps what it omits. A contact row that would not
    /// change is not written (a redelivery changes nothing); one that does change touches the
    /// customer's conversations, since their `name` is part of `conversation.updated`.
    mutating func upsertContact(_ contact: Contact) throws {
        guard let key = contact.waID ?? contact.userID, !key.isEmpty else { return }
        try db.run("""
            INSERT INTO contacts (wa_id, profile_name, user_id, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (wa_id) DO UPDATE SET
                profile_name = coalesce(excluded.profile_name, contacts.profile_name),
                user_id = coalesce(excluded.user_id, contacts.user_id),
                updated_at_ms = excluded.updated_at_ms
            WHERE coalesce(excluded.profile_name, contacts.profile_name) IS NOT contacts.profile_name
               OR coalesce(excluded.user_id, contacts.user_id) IS NOT contacts.user_id
            """, [.text(key), .optionalText(contact.profileName), .optionalText(contact.userID), .int(nowMs)])
        guard db.changes > 0 else { return }
        let conversations = try db.rows("SELECT id FROM conversations WHERE wa_id = ? ORDER BY id", [.text(key)]) {
            $0.int64(0)
        }
        for id in conversations { touch(id) }
    }

    mutating func applyMessage(_ message: InboundMessage, phoneNumberID: String) throws {
        guard let waID = message.senderID, !waID.isEmpty else {
            // Nowhere to file it, but never dropped silently.
            try storeWebhookEvent(field: "messages.unroutable", valueJSON: message.rawJSON)
            return
        }
        let known = try db.firstRow("SELECT 1 FROM messages WHERE wamid = ?", [.text(message.id)]) { _ in true }
        guard known == nil else { return }

        let conversationID = try findOrCreateConversation(phoneNumberID: phoneNumberID, waID: waID)
        let preview = message.content.preview
        let errorJSON = message.errors.isEmpty ? nil : EventData.errorsText(message.errors)
        let inserted = try db.firstRow("""
            INSERT INTO messages (wamid, conversation_id, direction, type, body_json, timestamp_s,
                                  status, status_rank, error_json, created_at_ms, preview)
            VALUES (?, ?, 'in', ?, ?, ?, 'received', 0, ?, ?, ?)
            ON CONFLICT (wamid) DO NOTHING
            RETURNING id
            """, [.text(message.id), .int(conversationID), .text(message.type), .text(message.rawJSON),
                  .int(message.timestamp), .optionalText(errorJSON), .int(nowMs), .text(preview)]) { $0.int64(0) }
        guard let messageID = inserted else { return }
        let status = try RecordedStatuses.apply(db: db, messageID: messageID) ?? "received"

        let topic = DomainEvent.conversationTopic(waID)
        if case .reaction(let targetWamid, let emoji) = message.content {
            try recordActivity(conversationID: conversationID, atMs: messageTimeMs(message.timestamp))
            emit(topic: topic, type: "message.reaction", data: EventData.object([
                ("id", .int(messageID)),
                ("wamid", .string(message.id)),
                ("conversation_id", .int(conversationID)),
                ("target_wamid", .optionalString(targetWamid)),
                ("emoji", .optionalString(emoji.flatMap { $0.isEmpty ? nil : $0 })),
                ("from", .string(waID)),
                ("timestamp", .int(message.timestamp)),
            ]))
        } else {
            try recordNewMessage(conversationID: conversationID, atMs: messageTimeMs(message.timestamp), preview: preview)
            let stored = try db.firstRow("SELECT error_json FROM messages WHERE id = ?", [.int(messageID)]) { $0.text(0) } ?? nil
            emit(topic: topic, type: "message.received", data: EventData.object([
                ("id", .int(messageID)),
                ("wamid", .string(message.id)),
                ("conversation_id", .int(conversationID)),
                ("wa_id", .string(waID)),
                ("phone_number_id", .string(phoneNumberID)),
                ("type", .string(message.type)),
                ("timestamp", .int(message.timestamp)),
                ("preview", .string(preview)),
                ("status", .string(status)),
                ("content", .embedded(message.rawJSON)),
                ("context", EventData.context(message.context)),
                ("errors", stored.map { .embedded($0) } ?? .array([])),
            ]))
        }
        touch(conversationID)
    }

    private func findOrCreateConversation(phoneNumberID: String, waID: String) throws -> Int64 {
        try db.run("""
            INSERT INTO conversations (phone_number_id, wa_id, unread_count) VALUES (?, ?, 0)
            ON CONFLICT (phone_number_id, wa_id) DO NOTHING
            """, [.text(phoneNumberID), .text(waID)])
        guard let id = try db.firstRow(
            "SELECT id FROM conversations WHERE phone_number_id = ? AND wa_id = ?",
            [.text(phoneNumberID), .text(waID)], { $0.int64(0) })
        else {
            throw StoreError(code: "missing_row", message: "conversation vanished after insert")
        }
        return id
    }

    /// A new customer message: one more unread, and the preview moves only forwards in time, so
    /// a late-delivered older message does not replace a newer preview.
    private func recordNewMessage(conversationID: Int64, atMs: Int64, preview: String) throws {
        try db.run("""
            UPDATE conversations SET
                last_message_preview = CASE WHEN last_message_at_ms IS NULL OR ?1 >= last_message_at_ms
                                            THEN ?2 ELSE last_message_preview END,
                last_message_at_ms = max(coalesce(last_message_at_ms, ?1), ?1),
                unread_count = unread_count + 1,
                last_activity_ms = max(coalesce(last_activity_ms, ?1), ?1)
            WHERE id = ?3
            """, [.int(atMs), .text(preview), .int(conversationID)])
    }

    private func recordActivity(conversationID: Int64, atMs: Int64) throws {
        try db.run("""
            UPDATE conversations SET last_activity_ms = max(coalesce(last_activity_ms, ?1), ?1) WHERE id = ?2
            """, [.int(atMs), .int(conversationID)])
    }

    /// Meta's send time in milliseconds; the receive time when the payload gave none (0) or a
    /// value too large to scale.
    private func messageTimeMs(_ seconds: Int64) -> Int64 {
        guard seconds > 0 else { return nowMs }
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? nowMs : ms
    }
}
