// What Conversations needs from storage: transaction-scoped reads and writes of contacts,
// conversations, messages and statuses. The domain rules (idempotency, monotonic statuses,
// events) live in Conversations; an implementation only stores and finds rows.

/// A position in a list ordered by (key DESC, id DESC): the last row of the previous page.
public struct PageKey: Sendable, Equatable {
    public var key: Int64
    public var id: Int64

    public init(key: Int64, id: Int64) {
        self.key = key
        self.id = id
    }
}

/// Runs Conversations' logic inside the store's transactions. The body runs on a store thread,
/// synchronously, and must not keep the transaction object beyond its call.
public protocol ConversationStore: AnyObject, Sendable {
    /// A consistent read (one snapshot).
    func readConversations<T: Sendable>(_ body: @escaping @Sendable (any ConversationReading) throws -> T,
                                        completion: @escaping StoreCompletion<T>)

    /// One atomic, durable write; completes after the commit.
    func writeConversations<T: Sendable>(_ body: @escaping @Sendable (any ConversationTransaction) throws -> T,
                                         completion: @escaping StoreCompletion<T>)
}

/// Reads inside one transaction. Not Sendable: valid only during the body it was passed to.
public protocol ConversationReading {
    /// Conversations by (coalesce(last activity, 0) DESC, id DESC), after `before`, at most `limit`.
    func conversationPage(limit: Int, before: PageKey?) throws -> [ConversationRow]

    /// One customer's messages (across business numbers) by (coalesce(timestamp, 0) DESC,
    /// id DESC), after `before`, at most `limit`, without their statuses.
    func messagePage(waID: String, limit: Int, before: PageKey?) throws -> [MessageRow]

    /// Every status recorded for each wamid, in the order received.
    func statuses(ofWamids wamids: [String]) throws -> [String: [StatusRow]]

    func conversation(id: Int64) throws -> ConversationRow?

    /// This customer's conversations (one per business number), by id.
    func conversations(waID: String) throws -> [ConversationRow]
}

/// Writes inside one transaction (plus its reads).
public protocol ConversationTransaction: ConversationReading {
    /// Runs `body` as a unit inside the transaction (a savepoint): when it throws, its writes
    /// are undone and the rest of the transaction stands.
    func atomically<T>(_ body: () throws -> T) throws -> T

    /// Unread count to 0 and the read time stamped on this customer's conversations.
    func markRead(waID: String, nowMs: Int64) throws

    /// Inserts or fills in a contact (nil keeps what is stored). True when the row changed.
    func upsertContact(key: String, profileName: String?, userID: String?, nowMs: Int64) throws -> Bool

    /// Ids of this customer's conversations, by id.
    func conversationIDs(waID: String) throws -> [Int64]

    /// Keeps a payload that is not a message or status, once per distinct (field, value).
    func storeWebhookEvent(field: String, valueJSON: String, nowMs: Int64) throws

    func messageExists(wamid: String) throws -> Bool

    /// The conversation of (business number, customer), created empty when new.
    func findOrCreateConversation(phoneNumberID: String, waID: String) throws -> Int64

    /// Inserts an inbound message (status "received"); nil when its wamid is already stored.
    func insertInboundMessage(_ message: NewInboundMessage) throws -> Int64?

    func messageErrorJSON(id: Int64) throws -> String?

    /// A new customer message: one more unread; the preview and last-message time move only
    /// forwards in time; last activity is the latest seen.
    func recordNewMessage(conversationID: Int64, atMs: Int64, preview: String) throws

    /// Last activity moves forwards to `atMs` (reactions: no preview, no unread).
    func recordActivity(conversationID: Int64, atMs: Int64) throws

    /// Records a status once per (wamid, status). False when it was recorded before.
    func recordStatus(_ status: StatusRecord) throws -> Bool

    /// The message a status is about, with its conversation's customer, or nil when unknown.
    func statusTarget(wamid: String) throws -> StatusTarget?

    /// A message's wamid and current status, or nil for an unknown id.
    func messageStatus(id: Int64) throws -> MessageStatus?

    /// The statuses recorded for a wamid, in the order received.
    func recordedStatuses(wamid: String) throws -> [StatusRecord]

    /// Sets a message's status and its rank; `errorsJSON` replaces the stored errors when given.
    func setMessageStatus(id: Int64, status: String, rank: Int, errorsJSON: String?) throws
}
