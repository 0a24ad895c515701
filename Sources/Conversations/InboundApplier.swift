// Applies one decoded webhook delivery to the store and returns the hub events it causes.
import Store
import WhatsApp

/// The inbound domain logic of issue 4. WhatsApp delivers at least once and out of order, so
/// every write here is idempotent (messages unique by wamid, statuses by wamid+status, other
/// payloads by their content) and every status change monotonic (`StatusRank`). Applying the
/// same payload twice changes no row and returns no event.
///
/// Routing: a conversation is (business phone_number_id, customer key). The customer key is the
/// sender's `wa_id`; a username-only sender (no `from`) is keyed by its `from_user_id`/`user_id`,
/// which is also the key its contact row and its `conversation.<key>` topic use. A payload
/// without metadata files its messages under phone_number_id "".
///
/// Choices (documented because clients depend on them):
/// - A reaction is stored as a message of type "reaction" and announced as `message.reaction`
///   only (not also `message.received`); it moves `last_activity` but neither the preview nor
///   the unread count.
/// - A status that is not applied (duplicate, late lower status, after "failed", unknown wamid)
///   is recorded in `statuses` and yields nothing. When the message appears later, the best
///   recorded status is applied to it at insert.
/// - Statuses change a message, not its conversation, so they yield no `conversation.updated`.
/// - Other `field` values, value-level `errors[]` and messages naming no sender are kept in
///   `webhook_events` and yield nothing.
public enum InboundApplier {
    /// Runs in the caller's transaction (as one atomic unit, so a failure leaves no partial
    /// payload behind); publish the returned events only after that transaction commits.
    /// Events of one conversation come out in the order applied; each touched conversation's
    /// `conversation.updated` comes after all of its changes, at the end.
    public static func apply(_ payload: WebhookPayload, in store: any ConversationTransaction, nowMs: Int64,
                             correlationID: String) throws -> [DomainEvent] {
        try store.atomically {
            var run = ApplyRun(store: store, nowMs: nowMs, correlationID: correlationID)
            for change in payload.changes {
                try run.apply(change)
            }
            return try run.finish()
        }
    }

    /// The customer keys (topics `conversation.<key>`) a payload may touch, so a worker can run
    /// payloads with disjoint keys in parallel and those sharing a key in order.
    public static func conversationKeys(_ payload: WebhookPayload) -> Set<String> {
        var keys = Set<String>()
        for change in payload.changes {
            guard case .messages(let value) = change else { continue }
            for contact in value.contacts {
                if let key = contact.waID ?? contact.userID, !key.isEmpty { keys.insert(key) }
            }
            for message in value.messages {
                if let key = message.senderID, !key.isEmpty { keys.insert(key) }
            }
            for status in value.statuses {
                if let key = status.recipientID, !key.isEmpty { keys.insert(key) }
            }
        }
        return keys
    }

    /// Applies the best status already recorded for a message's wamid, for a message stored
    /// after its statuses arrived (an outbound message whose "sent" webhook beat the Graph API
    /// answer). Inbound messages get this automatically; the outbound sender calls it after
    /// storing a wamid. Returns the new status, or nil when nothing changed.
    public static func applyRecordedStatuses(in store: any ConversationTransaction, messageID: Int64) throws -> String? {
        try store.atomically {
            try RecordedStatuses.apply(store: store, messageID: messageID)
        }
    }
}

/// The state of one `apply`: the events so far and the conversations touched, in order.
struct ApplyRun {
    let store: any ConversationTransaction
    let nowMs: Int64
    let correlationID: String
    private(set) var events: [DomainEvent] = []
    private var touchedOrder: [Int64] = []
    private var touched = Set<Int64>()

    init(store: any ConversationTransaction, nowMs: Int64, correlationID: String) {
        self.store = store
        self.nowMs = nowMs
        self.correlationID = correlationID
    }

    mutating func apply(_ change: WebhookChange) throws {
        switch change {
        case .messages(let value):
            try applyMessagesChange(value)
        case .otherField(let field, let valueJSON):
            try storeWebhookEvent(field: field, valueJSON: valueJSON)
        }
    }

    private mutating func applyMessagesChange(_ change: MessagesChange) throws {
        for contact in change.contacts {
            try upsertContact(contact)
        }
        for message in change.messages {
            try applyMessage(message, phoneNumberID: message.phoneNumberID ?? change.phoneNumberID ?? "")
        }
        for status in change.statuses {
            try applyStatus(status)
        }
        if !change.errors.isEmpty {
            let value = EventData.object([
                ("business_account_id", .optionalString(change.businessAccountID)),
                ("phone_number_id", .optionalString(change.phoneNumberID)),
                ("errors", EventData.errors(change.errors)),
            ])
            try storeWebhookEvent(field: "messages.errors", valueJSON: String(decoding: value, as: UTF8.self))
        }
    }

    /// Kept verbatim, once per distinct (field, value): a redelivery adds nothing.
    mutating func storeWebhookEvent(field: String, valueJSON: String) throws {
        try store.storeWebhookEvent(field: field, valueJSON: valueJSON, nowMs: nowMs)
    }

    mutating func emit(topic: String, type: String, data: [UInt8]) {
        events.append(DomainEvent(topic: topic, type: type, data: data, correlationID: correlationID))
    }

    mutating func touch(_ conversationID: Int64) {
        if touched.insert(conversationID).inserted { touchedOrder.append(conversationID) }
    }

    /// Appends one `conversation.updated` per touched conversation, with its final state.
    mutating func finish() throws -> [DomainEvent] {
        for id in touchedOrder {
            guard let row = try store.conversation(id: id) else { continue }
            emit(topic: DomainEvent.inboxTopic, type: "conversation.updated", data: row.json())
        }
        return events
    }
}
