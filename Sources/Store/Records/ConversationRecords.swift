// Conversations, messages and statuses as every store implementation returns them. How they
// look on the wire (REST objects, event data) is Conversations' business, not the store's.

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
}

/// One stored message, with every delivery status recorded for it.
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
}

/// A status Meta reported for a wamid, applied to the message or not.
public struct StatusRow: Sendable, Equatable {
    public var status: String
    public var timestampS: Int64?
    public var errorsJSON: String?

    public init(status: String, timestampS: Int64?, errorsJSON: String?) {
        self.status = status
        self.timestampS = timestampS
        self.errorsJSON = errorsJSON
    }
}

/// An inbound message to store, already routed to its conversation.
public struct NewInboundMessage: Sendable, Equatable {
    public var wamid: String
    public var conversationID: Int64
    public var type: String
    /// The message object, re-encoded by the decoder.
    public var bodyJSON: String
    public var timestampS: Int64
    public var errorJSON: String?
    public var preview: String
    public var receivedAtMs: Int64

    public init(wamid: String, conversationID: Int64, type: String, bodyJSON: String, timestampS: Int64,
                errorJSON: String?, preview: String, receivedAtMs: Int64) {
        self.wamid = wamid
        self.conversationID = conversationID
        self.type = type
        self.bodyJSON = bodyJSON
        self.timestampS = timestampS
        self.errorJSON = errorJSON
        self.preview = preview
        self.receivedAtMs = receivedAtMs
    }
}

/// One (wamid, status) report, as recorded.
public struct StatusRecord: Sendable, Equatable {
    public var wamid: String
    public var status: String
    public var timestampS: Int64
    public var errorsJSON: String?
    public var receivedAtMs: Int64

    public init(wamid: String, status: String, timestampS: Int64, errorsJSON: String?, receivedAtMs: Int64) {
        self.wamid = wamid
        self.status = status
        self.timestampS = timestampS
        self.errorsJSON = errorsJSON
        self.receivedAtMs = receivedAtMs
    }
}

/// The message a status is about.
public struct StatusTarget: Sendable, Equatable {
    public var messageID: Int64
    public var currentStatus: String?
    public var conversationID: Int64
    public var waID: String

    public init(messageID: Int64, currentStatus: String?, conversationID: Int64, waID: String) {
        self.messageID = messageID
        self.currentStatus = currentStatus
        self.conversationID = conversationID
        self.waID = waID
    }
}

/// A message's wamid (nil for an outbound message Graph has not accepted yet) and status.
public struct MessageStatus: Sendable, Equatable {
    public var wamid: String?
    public var status: String?

    public init(wamid: String?, status: String?) {
        self.wamid = wamid
        self.status = status
    }
}
