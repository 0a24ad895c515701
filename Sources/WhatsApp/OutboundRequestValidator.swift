// Field-by-field validation of the `POST /api/messages` body, before anything reaches the outbox.
// Pure: the same JSON always gives the same verdict, and the first broken field is named.
import JSON

/// Why a request body was refused. `field` is a dotted path into the body ("text.body",
/// "image.link", "$" for the body itself) so the 400 can point at it; `code` is stable.
public struct ValidationError: Error, Sendable, Equatable {
    /// "missing", "wrong_type", "invalid", "too_long" or "not_allowed".
    public let code: String
    public let field: String
    public let message: String

    public init(code: String, field: String, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    static func missing(_ field: String, _ what: String) -> ValidationError {
        ValidationError(code: "missing", field: field, message: "\(field) is required (\(what))")
    }
    static func wrongType(_ field: String, _ expected: String) -> ValidationError {
        ValidationError(code: "wrong_type", field: field, message: "\(field) must be \(expected)")
    }
    static func invalid(_ field: String, _ why: String) -> ValidationError {
        ValidationError(code: "invalid", field: field, message: "\(field) \(why)")
    }
    static func tooLong(_ field: String, _ limit: Int) -> ValidationError {
        ValidationError(code: "too_long", field: field, message: "\(field) must be at most \(limit) characters")
    }
    static func notAllowed(_ field: String, _ why: String) -> ValidationError {
        ValidationError(code: "not_allowed", field: field, message: "\(field) is not allowed \(why)")
    }
}

public enum OutboundRequestValidator {
    public static let textBodyLimit = 4096
    public static let captionLimit = 1024
    public static let interactiveBodyLimit = 1024
    public static let maxRecipientDigits = 20
    public static let interactiveTypes: Set<String> = ["button", "list", "cta_url", "flow", "product", "product_list"]

    /// Lengths are counted in Characters (grapheme clusters, what a person sees as one
    /// character), not bytes, so "é" or a flag emoji counts once.
    public static func validate(json: JSONValue) -> Result<ValidatedMessage, ValidationError> {
        do {
            return .success(try validated(json))
        } catch let error as ValidationError {
            return .failure(error)
        } catch {
            return .failure(.invalid("$", "could not be validated"))
        }
    }

    private static func validated(_ json: JSONValue) throws -> ValidatedMessage {
        guard json.objectValue != nil else { throw ValidationError.wrongType("$", "a JSON object") }
        let to = try recipient(json["to"])
        guard let typeValue = json["type"] else { throw ValidationError.missing("type", "the message type") }
        guard let typeName = typeValue.stringValue else { throw ValidationError.wrongType("type", "a string") }
        guard let type = OutboundMessageType(rawValue: typeName) else {
            throw ValidationError.invalid("type", "must be one of \(OutboundMessageType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let content = json[typeName] else { throw ValidationError.missing(typeName, "an object") }
        guard content.objectValue != nil else { throw ValidationError.wrongType(typeName, "an object") }
        switch type {
        case .text: try checkText(content)
        case .template: try checkTemplate(content)
        case .image, .video, .audio, .document, .sticker: try checkMedia(content, type: type)
        case .interactive: try checkInteractive(content)
        case .reaction: try checkReaction(content)
        }
        var replyTo: String?
        if let value = json["reply_to"], value != .null {
            guard let s = value.stringValue else { throw ValidationError.wrongType("reply_to", "a string") }
            guard s.hasPrefix("wamid."), s.count > "wamid.".count else {
                throw ValidationError.invalid("reply_to", "must be a WhatsApp message id starting with \"wamid.\"")
            }
            replyTo = s
        }
        return ValidatedMessage(to: to, type: type, content: content, replyTo: replyTo)
    }

    /// 1–20 digits, optionally after one leading "+"; returns the digits only.
    private static func recipient(_ value: JSONValue?) throws -> String {
        guard let value else { throw ValidationError.missing("to", "the recipient's wa_id") }
        guard var s = value.stringValue else { throw ValidationError.wrongType("to", "a string of digits") }
        if s.hasPrefix("+") { s.removeFirst() }
        guard !s.isEmpty, s.utf8.count <= maxRecipientDigits,
              s.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw ValidationError.invalid("to", "must be 1-\(maxRecipientDigits) digits, optionally after a leading +")
        }
        return s
    }

    private static func checkText(_ text: JSONValue) throws {
        try requiredString(text["body"], field: "text.body", limit: textBodyLimit)
        try optionalBool(text["preview_url"], field: "text.preview_url")
    }

    private static func checkTemplate(_ template: JSONValue) throws {
        try requiredString(template["name"], field: "template.name")
        guard let language = template["language"] else { throw ValidationError.missing("template.language", "an object with code") }
        guard language.objectValue != nil else { throw ValidationError.wrongType("template.language", "an object") }
        try requiredString(language["code"], field: "template.language.code")
        if let components = template["components"], components.arrayValue == nil {
            throw ValidationError.wrongType("template.components", "an array")
        }
    }

    private static func checkMedia(_ media: JSONValue, type: OutboundMessageType) throws {
        let name = type.rawValue
        let id = media["id"]
        let link = media["link"]
        switch (id, link) {
        case (nil, nil):
            throw ValidationError.missing(name, "exactly one of id or link")
        case (.some, .some):
            throw ValidationError.invalid(name, "must have exactly one of id or link, not both")
        case (.some(let id), nil):
            try requiredString(id, field: "\(name).id")
        case (nil, .some(let link)):
            guard let url = link.stringValue else { throw ValidationError.wrongType("\(name).link", "a string") }
            let lower = url.lowercased()
            guard (lower.hasPrefix("https://") && url.utf8.count > 8) || (lower.hasPrefix("http://") && url.utf8.count > 7) else {
                throw ValidationError.invalid("\(name).link", "must be an http:// or https:// URL")
            }
        }
        if let caption = media["caption"] {
            if type == .audio || type == .sticker {
                throw ValidationError.notAllowed("\(name).caption", "for \(name) messages")
            }
            guard let s = caption.stringValue else { throw ValidationError.wrongType("\(name).caption", "a string") }
            if s.count > captionLimit { throw ValidationError.tooLong("\(name).caption", captionLimit) }
        }
        if let filename = media["filename"] {
            guard type == .document else { throw ValidationError.notAllowed("\(name).filename", "for \(name) messages (documents only)") }
            guard filename.stringValue != nil else { throw ValidationError.wrongType("\(name).filename", "a string") }
        }
    }

    private static func checkInteractive(_ interactive: JSONValue) throws {
        guard let typeValue = interactive["type"] else { throw ValidationError.missing("interactive.type", "the interactive kind") }
        guard let kind = typeValue.stringValue else { throw ValidationError.wrongType("interactive.type", "a string") }
        guard interactiveTypes.contains(kind) else {
            throw ValidationError.invalid("interactive.type", "must be one of \(interactiveTypes.sorted().joined(separator: ", "))")
        }
        guard let body = interactive["body"] else { throw ValidationError.missing("interactive.body", "an object with text") }
        guard body.objectValue != nil else { throw ValidationError.wrongType("interactive.body", "an object") }
        try requiredString(body["text"], field: "interactive.body.text", limit: interactiveBodyLimit)
        guard let action = interactive["action"] else { throw ValidationError.missing("interactive.action", "an object") }
        guard action.objectValue != nil else { throw ValidationError.wrongType("interactive.action", "an object") }
    }

    private static func checkReaction(_ reaction: JSONValue) throws {
        try requiredString(reaction["message_id"], field: "reaction.message_id")
        // An empty emoji is how a reaction is removed, so only the type is checked.
        guard let emoji = reaction["emoji"] else { throw ValidationError.missing("reaction.emoji", "a string; \"\" removes the reaction") }
        guard emoji.stringValue != nil else { throw ValidationError.wrongType("reaction.emoji", "a string") }
    }

    private static func requiredString(_ value: JSONValue?, field: String, limit: Int? = nil) throws {
        guard let value else { throw ValidationError.missing(field, "a non-empty string") }
        guard let s = value.stringValue else { throw ValidationError.wrongType(field, "a string") }
        if s.isEmpty { throw ValidationError.invalid(field, "must not be empty") }
        if let limit, s.count > limit { throw ValidationError.tooLong(field, limit) }
    }

    private static func optionalBool(_ value: JSONValue?, field: String) throws {
        if let value, value.boolValue == nil { throw ValidationError.wrongType(field, "true or false") }
    }
}
