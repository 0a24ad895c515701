// An event produced by applying a webhook to the store, to be published on the hub after commit.

/// One hub publish: `topic` is `conversation.<wa_id>` or `inbox`, `data` a JSON object.
///
/// The events are built inside the store transaction but must only be published after it
/// commits (a rolled-back apply must never have been announced). `correlationID` is the
/// inbox row's correlation id, carried beside the data so the publisher can put it in the
/// event's meta rather than in the payload clients parse.
public struct DomainEvent: Sendable, Equatable {
    public var topic: String
    public var type: String
    /// A JSON object, encoded once here and never again per subscriber.
    public var data: [UInt8]
    public var correlationID: String

    public init(topic: String, type: String, data: [UInt8], correlationID: String) {
        self.topic = topic
        self.type = type
        self.data = data
        self.correlationID = correlationID
    }

    /// The topic of one customer's conversation events.
    public static func conversationTopic(_ waID: String) -> String { "conversation." + waID }

    public static let inboxTopic = "inbox"
}
