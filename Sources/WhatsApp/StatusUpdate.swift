// Delivery statuses of outbound messages (`value.statuses[]`) and the monotonic order in which
// they may be applied, since Meta delivers them at least once and out of order.

public struct StatusUpdate: Sendable, Equatable {
    /// The wamid of the outbound message this status is about.
    public var id: String
    /// The raw status: "sent", "delivered", "read", "failed", "played", "deleted", or a new one.
    public var status: String
    /// Unix seconds, parsed from Meta's string; 0 when absent or unparsable (with a warning).
    public var timestamp: Int64
    public var recipientID: String?
    public var conversationJSON: String?
    public var pricingJSON: String?
    public var errors: [WhatsAppError]
    public var phoneNumberID: String?
    /// `biz_opaque_callback_data` echoed back from the send request, if any.
    public var callbackData: String?

    public init(
        id: String, status: String, timestamp: Int64, recipientID: String?,
        conversationJSON: String?, pricingJSON: String?, errors: [WhatsAppError],
        phoneNumberID: String?, callbackData: String? = nil
    ) {
        self.id = id
        self.status = status
        self.timestamp = timestamp
        self.recipientID = recipientID
        self.conversationJSON = conversationJSON
        self.pricingJSON = pricingJSON
        self.errors = errors
        self.phoneNumberID = phoneNumberID
        self.callbackData = callbackData
    }
}

/// Orders statuses so that a late "delivered" never overwrites "read", and "failed" is final.
public enum StatusRank {
    /// sent 1 < delivered 2 < read 3 (played, for voice notes, also 3); failed 100 (final).
    /// Unknown statuses (including "deleted") rank 0: recorded when nothing else is, never
    /// replacing a known one.
    public static func rank(_ status: String) -> Int {
        switch status {
        case "sent": return 1
        case "delivered": return 2
        case "read", "played": return 3
        case "failed": return 100
        default: return 0
        }
    }

    /// Whether `incoming` should replace `current`: only forwards, never out of "failed",
    /// and a repeated status (a duplicate delivery) is not a change.
    public static func shouldAdvance(current: String?, incoming: String) -> Bool {
        guard let current else { return true }
        if current == incoming || current == "failed" { return false }
        return rank(incoming) > rank(current)
    }
}
