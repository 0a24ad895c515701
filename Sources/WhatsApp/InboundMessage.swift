// One inbound customer message from `value.messages[]`, with the metadata needed to store it
// and route it to a conversation.

public struct InboundMessage: Sendable, Equatable {
    /// The wamid; messages without one are skipped by the decoder (they cannot be de-duplicated).
    public var id: String
    /// The sender's wa_id; absent for username-only users (then `fromUserID` names them).
    public var from: String?
    /// `from_user_id` (or `user_id`) on the message, for username-only senders.
    public var fromUserID: String?
    /// Unix seconds, parsed from Meta's string; 0 when absent or unparsable (with a warning).
    public var timestamp: Int64
    /// The raw `type` field ("text", "image", "poll", …), kept even when the content is unsupported.
    public var type: String
    public var content: MessageContent
    public var context: MessageContext?
    /// The `referral` object (click-to-WhatsApp ads) re-encoded as JSON.
    public var referralJSON: String?
    /// Message-level `errors[]` (set on `unsupported` / `unknown` messages).
    public var errors: [WhatsAppError]
    public var phoneNumberID: String?
    public var displayPhoneNumber: String?
    /// The matching entry of `value.contacts[]`, found by wa_id or user id.
    public var contact: Contact?
    /// The message object in StorageJSON's form (sorted keys, numbers as written), for storage;
    /// not the wire bytes.
    public var rawJSON: String

    public init(
        id: String, from: String?, fromUserID: String?, timestamp: Int64, type: String,
        content: MessageContent, context: MessageContext?, referralJSON: String?,
        errors: [WhatsAppError], phoneNumberID: String?, displayPhoneNumber: String?,
        contact: Contact?, rawJSON: String
    ) {
        self.id = id
        self.from = from
        self.fromUserID = fromUserID
        self.timestamp = timestamp
        self.type = type
        self.content = content
        self.context = context
        self.referralJSON = referralJSON
        self.errors = errors
        self.phoneNumberID = phoneNumberID
        self.displayPhoneNumber = displayPhoneNumber
        self.contact = contact
        self.rawJSON = rawJSON
    }

    /// Who sent it: the wa_id when present, else the user id. Nil only for a payload that names
    /// neither (the decoder warns about those).
    public var senderID: String? { from ?? fromUserID }
}

/// The `context` of a message: what it replies to, or whether it was forwarded.
public struct MessageContext: Sendable, Equatable {
    /// The wamid of the message being replied to (`context.id`).
    public var messageID: String?
    /// Who sent the message being replied to (`context.from`).
    public var from: String?
    public var forwarded: Bool
    public var frequentlyForwarded: Bool

    public init(messageID: String?, from: String?, forwarded: Bool, frequentlyForwarded: Bool) {
        self.messageID = messageID
        self.from = from
        self.forwarded = forwarded
        self.frequentlyForwarded = frequentlyForwarded
    }
}
