// An outbound message that passed OutboundRequestValidator, and the Graph request body built from it.
import JSON

public enum OutboundMessageType: String, Sendable, CaseIterable {
    case text, template, image, video, audio, document, sticker, interactive, reaction
}

public struct ValidatedMessage: Sendable, Equatable {
    /// The recipient's wa_id, digits only (a leading "+" is removed).
    public let to: String
    public let type: OutboundMessageType
    /// The `<type>` object as the client sent it (validated, not rewritten), so fields we do not
    /// check (template components, interactive sections, ...) reach Graph unchanged.
    public let content: JSONValue
    /// The wamid being replied to, sent as `context.message_id`.
    public let replyTo: String?

    public init(to: String, type: OutboundMessageType, content: JSONValue, replyTo: String?) {
        self.to = to
        self.type = type
        self.content = content
        self.replyTo = replyTo
    }

    /// The Graph `POST /{phone_number_id}/messages` body. The phone number id is in the URL, not
    /// in the body; it is a parameter so the signature says which number the body is meant for.
    public func graphBody(phoneNumberID: String) -> [UInt8] {
        _ = phoneNumberID
        var members: [(String, JSONValue)] = [
            ("messaging_product", .string("whatsapp")),
            ("recipient_type", .string("individual")),
            ("to", .string(to)),
            ("type", .string(type.rawValue)),
            (type.rawValue, content),
        ]
        if let replyTo {
            members.append(("context", .object([("message_id", .string(replyTo))])))
        }
        return JSONWriter.encode(.object(members))
    }
}
