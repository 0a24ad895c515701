// The typed model of one webhook delivery: every entry[] / changes[] flattened into a list of
// changes, with convenience views over all messages, statuses and contacts in the delivery.

/// One decoded POST body. A delivery can carry up to 1,000 updates across several entries and
/// changes; nothing is dropped silently: pieces that could not be decoded leave a `warnings` line.
public struct WebhookPayload: Sendable, Equatable {
    /// The top-level `object` (normally "whatsapp_business_account"); nil when absent.
    public var object: String?
    /// Every change of every entry, in delivery order.
    public var changes: [WebhookChange]
    /// Human-readable notes about skipped or partial pieces, with their JSON path
    /// (e.g. `entry[0].changes[1].value.messages[2]: missing id, skipped`). For logs, not logic.
    public var warnings: [String]

    public init(object: String?, changes: [WebhookChange], warnings: [String]) {
        self.object = object
        self.changes = changes
        self.warnings = warnings
    }

    /// All inbound messages of all `messages` changes, in delivery order.
    public var messages: [InboundMessage] {
        changes.flatMap { change -> [InboundMessage] in
            if case .messages(let value) = change { return value.messages }
            return []
        }
    }

    /// All status updates of all `messages` changes, in delivery order.
    public var statuses: [StatusUpdate] {
        changes.flatMap { change -> [StatusUpdate] in
            if case .messages(let value) = change { return value.statuses }
            return []
        }
    }

    /// All sender profiles of all `messages` changes.
    public var contacts: [Contact] {
        changes.flatMap { change -> [Contact] in
            if case .messages(let value) = change { return value.contacts }
            return []
        }
    }

    /// Change-level `errors[]` (problems Meta reports about the account or the delivery itself).
    public var errors: [WhatsAppError] {
        changes.flatMap { change -> [WhatsAppError] in
            if case .messages(let value) = change { return value.errors }
            return []
        }
    }
}

/// One element of `entry[].changes[]`.
public enum WebhookChange: Sendable, Equatable {
    /// `field == "messages"`: inbound messages and statuses of outbound ones.
    case messages(MessagesChange)
    /// Any other field (template status, account updates, quality changes…): stored as JSON,
    /// never failed, so that new Meta features do not break the pipeline.
    case otherField(field: String, valueJSON: String)
}

/// The `value` of a `messages` change, with the metadata that scopes it.
public struct MessagesChange: Sendable, Equatable {
    /// The WhatsApp Business Account id (`entry[].id`).
    public var businessAccountID: String?
    public var phoneNumberID: String?
    public var displayPhoneNumber: String?
    public var contacts: [Contact]
    public var messages: [InboundMessage]
    public var statuses: [StatusUpdate]
    public var errors: [WhatsAppError]

    public init(
        businessAccountID: String?, phoneNumberID: String?, displayPhoneNumber: String?,
        contacts: [Contact] = [], messages: [InboundMessage] = [], statuses: [StatusUpdate] = [],
        errors: [WhatsAppError] = []
    ) {
        self.businessAccountID = businessAccountID
        self.phoneNumberID = phoneNumberID
        self.displayPhoneNumber = displayPhoneNumber
        self.contacts = contacts
        self.messages = messages
        self.statuses = statuses
        self.errors = errors
    }
}

/// A sender profile from `value.contacts[]`.
public struct Contact: Sendable, Equatable {
    /// The phone-number-based id; absent for username-only users.
    public var waID: String?
    public var profileName: String?
    /// The newer business-scoped user id (`user_id`), present for username users.
    public var userID: String?

    public init(waID: String?, profileName: String?, userID: String?) {
        self.waID = waID
        self.profileName = profileName
        self.userID = userID
    }
}

/// An error object as Meta puts it in `errors[]` (message, status or change level).
/// Retry decisions belong on `code`, never on `title` (Meta says titles are unreliable).
public struct WhatsAppError: Sendable, Equatable {
    public var code: Int?
    public var title: String?
    public var message: String?
    /// `error_data.details`.
    public var details: String?
    public var href: String?

    public init(code: Int?, title: String?, message: String?, details: String?, href: String?) {
        self.code = code
        self.title = title
        self.message = message
        self.details = details
        self.href = href
    }
}

/// Why a body could not be decoded at all. Only a body that is not JSON, not an object, or names
/// another webhook object fails; a valid object with missing pieces decodes what it can.
public struct WebhookDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: String, Sendable {
        case invalidJSON = "invalid_json"
        case notAnObject = "not_an_object"
        case wrongObject = "wrong_object"
        case tooDeep = "too_deep"
    }

    private let kind: Kind
    /// Short detail for logs (never the payload itself).
    public let detail: String

    private init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Stable machine-readable code: "invalid_json", "not_an_object", "wrong_object", "too_deep".
    public var code: String { kind.rawValue }
    public var description: String { "\(code): \(detail)" }

    public static func invalidJSON(_ detail: String) -> Self { .init(.invalidJSON, detail) }
    public static func notAnObject(_ detail: String) -> Self { .init(.notAnObject, detail) }
    public static func wrongObject(_ detail: String) -> Self { .init(.wrongObject, detail) }
    public static func tooDeep(_ detail: String) -> Self { .init(.tooDeep, detail) }
}
