// Contacts, conversations and inbound messages: the message half of an InboundApplier run.
import Store
import WhatsApp

extension ApplyRun {
    /// Fills in what the payload tells us and keeps what it omits. A contact row that would not
    /// change is not written (a redelivery changes nothing); one that does change touches the
    /// customer's conversations, since their `name` is part of `conversation.updated`.
    mutating func upsertContact(_ contact: Contact) throws {
        guard let key = contact.waID ?? contact.userID, !key.isEmpty else { return }
        let changed = try store.upsertContact(key: key, profileName: contact.profileName, userID: contact.userID,
                                              nowMs: nowMs)
        guard changed else { return }
        let conversations = try store.conversationIDs(waID: key)
        for id in conversations { touch(id) }
    }

    mutating func applyMessage(_ message: InboundMessage, phoneNumberID: String) throws {
        guard let waID = message.senderID, !waID.isEmpty else {
            // Nowhere to file it, but never dropped silently.
            try storeWebhookEvent(field: "messages.unroutable", valueJSON: message.rawJSON)
            return
        }
        guard try !store.messageExists(wamid: message.id) else { return }

        let conversationID = try findOrCreateConversation(phoneNumberID: phoneNumberID, waID: waID)
        let preview = message.content.preview
        let errorJSON = message.errors.isEmpty ? nil : EventData.errorsText(message.errors)
        let inserted = try store.insertInboundMessage(NewInboundMessage(
            wamid: message.id, conversationID: conversationID, type: message.type, bodyJSON: message.rawJSON,
            timestampS: message.timestamp, errorJSON: errorJSON, preview: preview, receivedAtMs: nowMs))
        guard let messageID = inserted else { return }
        let status = try RecordedStatuses.apply(store: store, messageID: messageID) ?? "received"

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
            let stored = try store.messageErrorJSON(id: messageID)
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
        try store.findOrCreateConversation(phoneNumberID: phoneNumberID, waID: waID)
    }

    private func recordNewMessage(conversationID: Int64, atMs: Int64, preview: String) throws {
        try store.recordNewMessage(conversationID: conversationID, atMs: atMs, preview: preview)
    }

    private func recordActivity(conversationID: Int64, atMs: Int64) throws {
        try store.recordActivity(conversationID: conversationID, atMs: atMs)
    }

    /// Meta's send time in milliseconds; the receive time when the payload gave none (0) or a
    /// value too large to scale.
    private func messageTimeMs(_ seconds: Int64) -> Int64 {
        guard seconds > 0 else { return nowMs }
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? nowMs : ms
    }
}
