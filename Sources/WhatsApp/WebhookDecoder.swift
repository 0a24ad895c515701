// Turns a webhook POST body into a WebhookPayload: walks every entry[] and changes[], and for
// `messages` changes every contacts[], messages[], statuses[] and errors[]. Fails only when the
// body is not a JSON object; everything else decodes what it can and leaves warnings.
import Foundation

public enum WebhookDecoder {
    /// Meta's payloads nest about ten levels; far deeper input is refused as hostile.
    public static let maxNestingDepth = 64
    /// The `object` value of WhatsApp Business webhooks.
    public static let expectedObject = "whatsapp_business_account"

    public static func decode(_ body: [UInt8]) throws -> WebhookPayload {
        guard !NestingDepth.exceeds(body, limit: maxNestingDepth) else {
            throw WebhookDecodeError.tooDeep("nesting deeper than \(maxNestingDepth)")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw WebhookDecodeError.invalidJSON("body is not valid JSON")
        }
        guard let root = JSONFields.object(parsed) else {
            throw WebhookDecodeError.notAnObject("top-level JSON value is not an object")
        }
        var run = DecodeRun()
        let object = JSONFields.string(root["object"])
        if let object {
            guard object == expectedObject else {
                throw WebhookDecodeError.wrongObject("object is not \(expectedObject)")
            }
        } else {
            run.warn("object", "missing")
        }
        let changes = run.entries(root["entry"])
        return WebhookPayload(object: object, changes: changes, warnings: run.warnings)
    }
}

/// The state of one decode: the warnings collected along the way.
struct DecodeRun {
    var warnings: [String] = []

    mutating func warn(_ path: String, _ problem: String) {
        warnings.append("\(path): \(problem)")
    }

    mutating func entries(_ value: Any?) -> [WebhookChange] {
        guard let entries = JSONFields.array(value) else {
            warn("entry", "missing or not an array")
            return []
        }
        var changes: [WebhookChange] = []
        for (e, element) in entries.enumerated() {
            let path = "entry[\(e)]"
            guard let entry = JSONFields.object(element) else {
                warn(path, "not an object, skipped")
                continue
            }
            let accountID = JSONFields.string(entry["id"])
            guard let entryChanges = JSONFields.array(entry["changes"]) else {
                warn("\(path).changes", "missing or not an array")
                continue
            }
            for (c, changeElement) in entryChanges.enumerated() {
                if let change = self.change(changeElement, accountID: accountID, path: "\(path).changes[\(c)]") {
                    changes.append(change)
                }
            }
        }
        return changes
    }

    mutating func change(_ value: Any?, accountID: String?, path: String) -> WebhookChange? {
        guard let change = JSONFields.object(value) else {
            warn(path, "not an object, skipped")
            return nil
        }
        guard let field = JSONFields.string(change["field"]) else {
            warn("\(path).field", "missing, skipped")
            return nil
        }
        guard field == "messages" else {
            return .otherField(field: field, valueJSON: JSONFields.encode(change["value"]) ?? "null")
        }
        guard let value = JSONFields.object(change["value"]) else {
            warn("\(path).value", "missing or not an object, skipped")
            return nil
        }
        return .messages(messagesChange(value, accountID: accountID, path: "\(path).value"))
    }

    mutating func messagesChange(_ value: JSONObject, accountID: String?, path: String) -> MessagesChange {
        let metadata = JSONFields.object(value["metadata"])
        if metadata == nil { warn("\(path).metadata", "missing") }
        var result = MessagesChange(
            businessAccountID: accountID,
            phoneNumberID: JSONFields.string(metadata?["phone_number_id"]),
            displayPhoneNumber: JSONFields.string(metadata?["display_phone_number"]))

        for (i, element) in list(value["contacts"], "\(path).contacts").enumerated() {
            guard let object = JSONFields.object(element) else {
                warn("\(path).contacts[\(i)]", "not an object, skipped")
                continue
            }
            result.contacts.append(Self.contact(object))
        }
        for (i, element) in list(value["messages"], "\(path).messages").enumerated() {
            if let message = inboundMessage(element, in: result, path: "\(path).messages[\(i)]") {
                result.messages.append(message)
            }
        }
        for (i, element) in list(value["statuses"], "\(path).statuses").enumerated() {
            if let status = statusUpdate(element, phoneNumberID: result.phoneNumberID, path: "\(path).statuses[\(i)]") {
                result.statuses.append(status)
            }
        }
        result.errors = errors(value["errors"], path: "\(path).errors")
        return result
    }

    /// An optional array: absent is normal (most changes carry only some lists), any other type
    /// is noted.
    mutating func list(_ value: Any?, _ path: String) -> [Any] {
        guard let value else { return [] }
        guard let array = JSONFields.array(value) else {
            warn(path, "not an array, ignored")
            return []
        }
        return array
    }

    static func contact(_ object: JSONObject) -> Contact {
        Contact(
            waID: JSONFields.string(object["wa_id"]),
            profileName: JSONFields.string(JSONFields.object(object["profile"])?["name"]),
            userID: JSONFields.string(object["user_id"]))
    }

    mutating func statusUpdate(_ value: Any?, phoneNumberID: String?, path: String) -> StatusUpdate? {
        guard let object = JSONFields.object(value) else {
            warn(path, "not an object, skipped")
            return nil
        }
        guard let id = JSONFields.string(object["id"]), !id.isEmpty else {
            warn(path, "missing id, skipped")
            return nil
        }
        guard let status = JSONFields.string(object["status"]), !status.isEmpty else {
            warn(path, "missing status, skipped")
            return nil
        }
        return StatusUpdate(
            id: id, status: status,
            timestamp: timestamp(object["timestamp"], path: "\(path).timestamp"),
            recipientID: JSONFields.string(object["recipient_id"]) ?? JSONFields.string(object["recipient_user_id"]),
            conversationJSON: object["conversation"].flatMap(JSONFields.encode),
            pricingJSON: object["pricing"].flatMap(JSONFields.encode),
            errors: errors(object["errors"], path: "\(path).errors"),
            phoneNumberID: phoneNumberID,
            callbackData: JSONFields.string(object["biz_opaque_callback_data"]))
    }

    mutating func errors(_ value: Any?, path: String) -> [WhatsAppError] {
        var result: [WhatsAppError] = []
        for (i, element) in list(value, path).enumerated() {
            guard let object = JSONFields.object(element) else {
                warn("\(path)[\(i)]", "not an object, skipped")
                continue
            }
            result.append(WhatsAppError(
                code: JSONFields.int(object["code"]),
                title: JSONFields.string(object["title"]),
                message: JSONFields.string(object["message"]),
                details: JSONFields.string(JSONFields.object(object["error_data"])?["details"]),
                href: JSONFields.string(object["href"])))
        }
        return result
    }

    /// Meta sends Unix seconds as a string; 0 stands for "unknown" so ordering still works.
    mutating func timestamp(_ value: Any?, path: String) -> Int64 {
        if let seconds = JSONFields.int64(value) { return seconds }
        warn(path, value == nil ? "missing, using 0" : "not an integer, using 0")
        return 0
    }
}
