// Builders for the JSON `data` objects of domain events and for stored error arrays.
import JSON
import WhatsApp

enum EventData {
    static func object(_ members: [(String, JSONValue)]) -> [UInt8] {
        JSONWriter.encode(.object(members))
    }

    /// Meta's own shape (`error_data.details`), absent fields left out, so stored errors read
    /// like the webhook that carried them.
    static func errors(_ errors: [WhatsAppError]) -> JSONValue {
        .array(errors.map { error in
            var members: [(String, JSONValue)] = []
            if let code = error.code { members.append(("code", .int(Int64(code)))) }
            if let title = error.title { members.append(("title", .string(title))) }
            if let message = error.message { members.append(("message", .string(message))) }
            if let details = error.details { members.append(("error_data", .object([("details", .string(details))]))) }
            if let href = error.href { members.append(("href", .string(href))) }
            return .object(members)
        })
    }

    static func errorsText(_ list: [WhatsAppError]) -> String {
        String(decoding: JSONWriter.encode(errors(list)), as: UTF8.self)
    }

    /// What a message replies to or whether it was forwarded; null when it has no context.
    static func context(_ context: MessageContext?) -> JSONValue {
        guard let context else { return .null }
        return .object([
            ("id", .optionalString(context.messageID)),
            ("from", .optionalString(context.from)),
            ("forwarded", .bool(context.forwarded)),
            ("frequently_forwarded", .bool(context.frequentlyForwarded)),
        ])
    }
}
