// One conversation as the REST API and the `conversation.updated` event show it.
import JSON
import Store

extension ConversationRow {
    /// The REST object, which is also the `data` of `conversation.updated`, so a client can
    /// merge either into the same list entry.
    public func json() -> [UInt8] {
        JSONWriter.encode(jsonValue)
    }

    var jsonValue: JSONValue {
        .object([
            ("conversation_id", .int(id)),
            ("wa_id", .string(waID)),
            ("phone_number_id", .string(phoneNumberID)),
            ("name", .optionalString(name)),
            ("last_message_preview", .optionalString(lastMessagePreview)),
            ("last_message_at", .optionalInt(lastMessageAtMs)),
            ("unread_count", .int(unreadCount)),
            ("last_activity", .optionalInt(lastActivityMs)),
        ])
    }
}
