// One stored message, with every delivery status recorded for it, as the REST API shows it.
import JSON
import Store

public struct MessageRow: Sendable, Equatable {
    /// The local row id: `id` / `message_id` in events.
    public var id: Int64
    public var wamid: String?
    public var conversationID: Int64
    public var waID: String
    public var phoneNumberID: String
    /// "in" (from the customer) or "out" (from an agent).
    public var direction: String
    public var type: String?
    /// The message object as stored (JSON text).
    public var bodyJSON: String?
    public var preview: String?
    /// Unix seconds, as Meta sends them.
    public var timestampS: Int64?
    /// The best status applied so far ("received" for inbound messages).
    public var status: String?
    /// The message's own `errors[]`, or those of the status that failed it (JSON text).
    public var errorJSON: String?
    /// Every status recorded for this wamid, in the order they were received.
    public var statuses: [StatusRow]

    public init(id: Int64, wamid: String?, conversationID: Int64, waID: String, phoneNumberID: String,
                direction: String, type: String?, bodyJSON: String?, preview: String?, timestampS: Int64?,
                status: String?, errorJSON: String?, statuses: [StatusRow]) {
        self.id = id
        self.wamid = wamid
        self.conversationID = conversationID
        self.waID = waID
        self.phoneNumberID = phoneNumberID
        self.direction = direction
        self.type = type
        self.bodyJSON = bodyJSON
        self.preview = preview
        self.timestampS = timestampS
        self.status = status
        self.errorJSON = errorJSON
        self.statuses = statuses
    }

    public func json() -> [UInt8] {
        JSONWriter.encode(.object([
            ("id", .int(id)),
            ("wamid", .optionalString(wamid)),
            ("conversation_id", .int(conversationID)),
            ("wa_id", .string(waID)),
            ("phone_number_id", .string(phoneNumberID)),
            ("direction", .string(direction)),
            ("type", .optionalString(type)),
            ("timestamp", .optionalInt(timestampS)),
            ("preview", .optionalString(preview)),
            ("status", .optionalString(status)),
            ("content", .embedded(bodyJSON)),
            ("errors", errorJSON.map { .embedded($0) } ?? .array([])),
            ("statuses", .array(statuses.map(\.jsonValue))),
        ]))
    }

    static let selectColumns = """
        m.id, m.wamid, m.conversation_id, c.wa_id, c.phone_number_id, m.direction, m.type,
        m.body_json, m.preview, m.timestamp_s, m.status, m.error_json
        """
    static let fromClause = "FROM messages m JOIN conversations c ON c.id = m.conversation_id"

    /// Reads the row without its statuses (the query adds them in one go per page).
    init(row: Statement) {
        self.init(
            id: row.int64(0), wamid: row.text(1), conversationID: row.int64(2), waID: row.text(3) ?? "",
            phoneNumberID: row.text(4) ?? "", direction: row.text(5) ?? "in", type: row.text(6),
            bodyJSON: row.text(7), preview: row.text(8), timestampS: row.optionalInt64(9),
            status: row.text(10), errorJSON: row.text(11), statuses: [])
    }
}

/// One row of `statuses`: a status Meta reported for a wamid, applied to the message or not.
public struct StatusRow: Sendable, Equatable {
    public var status: String
    public var timestampS: Int64?
    public var errorsJSON: String?

    public init(status: String, timestampS: Int64?, errorsJSON: String?) {
        self.status = status
        self.timestampS = timestampS
        self.errorsJSON = errorsJSON
    }

    var jsonValue: JSONValue {
        .object([
            ("status", .string(status)),
            ("timestamp", .optionalInt(timestampS)),
            ("errors", errorsJSON.map { .embedded($0) } ?? .array([])),
        ])
    }
}
