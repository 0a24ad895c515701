// Decodes one element of `value.messages[]` and its type-specific object into MessageContent.
// A message whose type is unknown, or whose type object is missing, becomes `.unsupported`.
import JSON

extension DecodeRun {
    mutating func inboundMessage(_ value: JSONValue?, in change: MessagesChange, path: String) -> InboundMessage? {
        guard let object = JSONFields.object(value) else {
            warn(path, "not an object, skipped")
            return nil
        }
        guard let id = JSONFields.string(object["id"]), !id.isEmpty else {
            warn(path, "missing id, skipped")
            return nil
        }
        let from = JSONFields.string(object["from"])
        let fromUserID = JSONFields.string(object["from_user_id"]) ?? JSONFields.string(object["user_id"])
        if from == nil && fromUserID == nil { warn(path, "no sender (from / from_user_id)") }
        let type = JSONFields.string(object["type"]) ?? "unknown"
        let errors = self.errors(object["errors"], path: "\(path).errors")
        let contact = change.contacts.first { contact in
            (from != nil && contact.waID == from) || (fromUserID != nil && contact.userID == fromUserID)
        }
        return InboundMessage(
            id: id, from: from, fromUserID: fromUserID,
            timestamp: timestamp(object["timestamp"], path: "\(path).timestamp"),
            type: type,
            content: content(type: type, object, errors: errors, path: path),
            context: Self.context(object["context"]),
            referralJSON: object["referral"].map(StorageJSON.string),
            errors: errors,
            phoneNumberID: change.phoneNumberID,
            displayPhoneNumber: change.displayPhoneNumber,
            contact: contact,
            rawJSON: StorageJSON.string(.object(object.members)))
    }

    static func context(_ value: JSONValue?) -> MessageContext? {
        guard let object = JSONFields.object(value) else { return nil }
        return MessageContext(
            messageID: JSONFields.string(object["id"]),
            from: JSONFields.string(object["from"]),
            forwarded: JSONFields.bool(object["forwarded"]),
            frequentlyForwarded: JSONFields.bool(object["frequently_forwarded"]))
    }

    mutating func content(type: String, _ message: JSONObject, errors: [WhatsAppError], path: String) -> MessageContent {
        let unsupported = MessageContent.unsupported(type: type, errors: errors)
        if type == "contacts" {
            guard let cards = JSONFields.array(message["contacts"]) else {
                warn("\(path).contacts", "missing, shown as unsupported")
                return unsupported
            }
            return .contacts(count: cards.count, rawJSON: StorageJSON.string(.array(cards)))
        }
        if type == "unknown" { return unsupported }
        if type == "unsupported" {
            let inner = JSONFields.string(JSONFields.object(message["unsupported"])?["type"])
            return .unsupported(type: inner ?? type, errors: errors)
        }
        guard Self.knownTypes.contains(type) else { return unsupported }
        let known = type
        guard let body = JSONFields.object(message[known]) else {
            warn("\(path).\(known)", "missing, shown as unsupported")
            return unsupported
        }
        if let kind = MediaKind(rawValue: known) { return .media(Self.media(kind, body)) }
        switch known {
        case "text":
            guard let text = JSONFields.string(body["body"]) else {
                warn("\(path).text.body", "missing, shown as unsupported")
                return unsupported
            }
            return .text(body: text)
        case "location":
            return .location(Location(
                latitude: JSONFields.double(body["latitude"]),
                longitude: JSONFields.double(body["longitude"]),
                name: JSONFields.string(body["name"]),
                address: JSONFields.string(body["address"]),
                url: JSONFields.string(body["url"])))
        case "interactive":
            return .interactive(Self.interactive(body))
        case "button":
            return .button(payload: JSONFields.string(body["payload"]), text: JSONFields.string(body["text"]))
        case "reaction":
            let emoji = JSONFields.string(body["emoji"])
            return .reaction(messageID: JSONFields.string(body["message_id"]), emoji: emoji?.isEmpty == true ? nil : emoji)
        case "order":
            return .order(
                catalogID: JSONFields.string(body["catalog_id"]),
                text: JSONFields.string(body["text"]),
                itemCount: JSONFields.array(body["product_items"])?.count ?? 0)
        case "system":
            return .system(
                body: JSONFields.string(body["body"]),
                waID: JSONFields.string(body["wa_id"]) ?? JSONFields.string(body["new_wa_id"]),
                type: JSONFields.string(body["type"]))
        default:
            return unsupported
        }
    }

    /// Types whose content lives in an object named after the type.
    static let knownTypes: Set<String> = [
        "text", "image", "video", "audio", "document", "sticker", "location", "interactive",
        "button", "reaction", "order", "system",
    ]

    static func media(_ kind: MediaKind, _ body: JSONObject) -> MediaAttachment {
        MediaAttachment(
            kind: kind,
            id: JSONFields.string(body["id"]),
            mimeType: JSONFields.string(body["mime_type"]),
            sha256: JSONFields.string(body["sha256"]),
            caption: JSONFields.string(body["caption"]),
            filename: JSONFields.string(body["filename"]),
            url: JSONFields.string(body["url"]),
            voice: JSONFields.bool(body["voice"]),
            animated: JSONFields.bool(body["animated"]))
    }

    /// `interactive.type` names the sub-object holding the reply (`button_reply`, `list_reply`,
    /// `nfm_reply`); an unknown sub-type still keeps its type and whatever id/title it has.
    static func interactive(_ body: JSONObject) -> InteractiveReply {
        let type = JSONFields.string(body["type"]) ?? "unknown"
        let reply = JSONFields.object(body[type]) ?? JSONObject(members: [])
        return InteractiveReply(
            type: type,
            id: JSONFields.string(reply["id"]),
            title: JSONFields.string(reply["title"]) ?? JSONFields.string(reply["name"]),
            description: JSONFields.string(reply["description"]) ?? JSONFields.string(reply["body"]),
            responseJSON: JSONFields.string(reply["response_json"]))
    }
}
