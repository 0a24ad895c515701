// The outbox's records as every store implementation returns them: a queued outbound message,
// what enqueueing needs, and what it found.

/// One outbox row, joined with its message row's type.
public struct OutboxRow: Sendable, Equatable {
    public var id: String
    public var messageID: Int64?
    public var conversationID: Int64?
    public var toWaID: String
    public var phoneNumberID: String
    /// The exact request body sent to Graph.
    public var payloadJSON: String
    /// queued | retrying | sending | sent | failed
    public var status: String
    public var attempts: Int
    public var nextAttemptAtMs: Int64?
    public var wamid: String?
    /// JSON text describing the last failure (see the sender), nil when none.
    public var lastError: String?
    public var idempotencyKey: String?
    public var correlationID: String?
    public var createdAtMs: Int64
    public var updatedAtMs: Int64
    /// The message type ("text", "template", ...) from the messages row.
    public var type: String?
    /// insertion order; the order messages to one recipient go out in
    public var sequence: Int64
    /// The message row's delivery status (queued, sent, delivered, read, failed), which status
    /// webhooks keep moving after the outbox row is done.
    public var deliveryStatus: String? = nil

    public init(
        id: String, messageID: Int64?, conversationID: Int64?, toWaID: String, phoneNumberID: String,
        payloadJSON: String, status: String, attempts: Int, nextAttemptAtMs: Int64?, wamid: String?,
        lastError: String?, idempotencyKey: String?, correlationID: String?, createdAtMs: Int64,
        updatedAtMs: Int64, type: String?, sequence: Int64
    ) {
        self.id = id
        self.messageID = messageID
        self.conversationID = conversationID
        self.toWaID = toWaID
        self.phoneNumberID = phoneNumberID
        self.payloadJSON = payloadJSON
        self.status = status
        self.attempts = attempts
        self.nextAttemptAtMs = nextAttemptAtMs
        self.wamid = wamid
        self.lastError = lastError
        self.idempotencyKey = idempotencyKey
        self.correlationID = correlationID
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
        self.type = type
        self.sequence = sequence
    }
}

/// What `enqueue` needs. `contentJSON` is the `<type>` object kept on the message row (what the
/// inbox shows); `payloadJSON` is the full Graph request body kept on the outbox row.
public struct NewOutboundMessage: Sendable, Equatable {
    public var id: String
    public var toWaID: String
    public var phoneNumberID: String
    public var type: String
    public var contentJSON: String
    public var payloadJSON: String
    public var preview: String?
    public var idempotencyKey: String?
    public var correlationID: String?

    public init(id: String, toWaID: String, phoneNumberID: String, type: String, contentJSON: String,
                payloadJSON: String, preview: String?, idempotencyKey: String?, correlationID: String?) {
        self.id = id
        self.toWaID = toWaID
        self.phoneNumberID = phoneNumberID
        self.type = type
        self.contentJSON = contentJSON
        self.payloadJSON = payloadJSON
        self.preview = preview
        self.idempotencyKey = idempotencyKey
        self.correlationID = correlationID
    }
}

public enum EnqueueOutcome: Sendable, Equatable {
    /// A new row, committed with its message row.
    case created(OutboxRow)
    /// The idempotency key was seen before: the first request's row, nothing new written.
    case existing(OutboxRow)
}
