// One conversation as the REST API and the `conversation.updated` event show it.
import JSON
import Store

/// A conversation is one business phone number talking to one customer (`wa_id`, or the user
/// id of a username-only customer). Times are milliseconds since the Unix epoch.
public struct ConversationRow: Sendable, Equatable {
    /// The local row id: `conversation_id` in every event and REST object.
    public var id: Int64
    public var phoneNumberID: String
    public var waID: String
    /// The customer's profile name, when a webhook has told us one.
    public var name: String?
    public var lastMessagePreview: String?
    public var lastMessageAtMs: Int64?
    public var unreadCount: Int64
    public var lastActivityMs: Int64?

    public init(id: Int64, phoneNumberID: String, waID: String, name: String?, lastMessagePreview: String?,
                lastMessageAtMs: Int64?, unreadCount: Int64, lastActivityMs: Int64?) {
        self.id = id
        self.phoneNumberID = phoneNumberID
        self.waID = waID
        self.name = name
        self.lastMessagePreview = lastMessagePreview
        self.lastMessageAtMs = lastMessageAtMs
        self.unreadCount = unreadCount
        self.lastActivityMs = lastActivityMs
    }

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

    /// The columns `init(row:)` reads, in order; `c` is the conversations table, `k` contacts.
    static let selectColumns = """
        c.id, c.phone_number_id, c.wa_id, k.profile_name, c.last_message_preview,
        c.last_message_at_ms, c.unread_count, c.last_activity_ms
        """
    static let fromClause = "FROM conversations c LEFT JOIN contacts k ON k.wa_id = c.wa_id"

    init(row: Statement) {
        self.init(
            id: row.int64(0), phoneNumberID: row.text(1) ?? "", waID: row.text(2) ?? "",
            name: row.text(3), lastMessagePreview: row.text(4), lastMessageAtMs: row.optionalInt64(5),
            unreadCount: row.int64(6), lastActivityMs: row.optionalInt64(7))
    }

    static func load(_ db: Database, id: Int64) throws -> ConversationRow? {
        try db.firstRow("SELECT \(selectColumns) \(fromClause) WHERE c.id = ?", [.int(id)], ConversationRow.init(row:))
    }
}
