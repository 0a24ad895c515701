// Turns a webhook POST body into a WebhookPayload: walks every entry[] and changes[], and for
// `messages` changes every contacts[], messages[], statuses[] and errors[]. Fails only when the
// body is not a JSON object; everything else decodes what it can and leaves warnings.
import JSON

public enum WebhookDecoder {
    /// Meta's payloads nest about ten levels; far deeper input is refused as hostile. The parser
    /// stops at this depth, so a body like "[[[[…" never runs its recursion deep.
    public static let maxNestingDepth = 64
    /// The `object` value of WhatsApp Business webhooks.
    public static let expectedObject = "whatsapp_business_account"

    public static func decode(_ body: [UInt8]) throws -> WebhookPayload {
        guard let root = JSONFields.object(try parse(body)) else {
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

    /// Strict RFC 8259 parsing (well-formed UTF-8, no lone surrogates, no trailing commas). A
    /// leading UTF-8 byte order mark is skipped, as RFC 8259 §8.1 allows and as the decoder did
    /// before it used the JSON module.
    static func parse(_ body: [UInt8]) throws(WebhookDecodeError) -> JSONValue {
        let bomLength = body.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        // withUnsafeBytes cannot forward a typed throw, so the outcome comes out as a Result.
        let result: Result<JSONValue, JSONError> = body.withUnsafeBytes { raw in
            do throws(JSONError) {
                return .success(try JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[bomLength...]), maxDepth: maxNestingDepth))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let error) where error.code == "too_deep":
            throw .tooDeep("nesting deeper than \(maxNestingDepth)")
        case .failure(let error):
            throw .invalidJSON("body is not valid JSON: \(error.message)")
        }
    }
}

/// The state of one decode: the warnings collected along the way.
struct DecodeRun {
    var warnings: [String] = []

    mutating func warn(_ path: String, _ problem: String) {
        warnings.append("\(path): \(problem)")
    }

    mutating func entries(_ value: JSONValue?) -> [WebhookChange] {
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

    mutating func change(_ value: JSONValue?, accountID: String?, path: String) -> WebhookChange? {
        guard let change = JSONFields.object(value) else {
            warn(path, "not an object, skipped")
            return nil
        }
        guard let field = JSONFields.string(change["field"]) else {
            warn("\(path).field", "missing, skipped")
            return nil
        }
        guard field == "messages" else {
            return .otherField(field: field, valueJSON: change["value"].map(StorageJSON.string) ?? "null")
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
    mutating func list(_ value: JSONValue?, _ path: String) -> [JSONValue] {
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

    mutating func statusUpdate(_ value: JSONValue?, phoneNumberID: String?, path: String) -> StatusUpdate? {
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
            conversationJSON: object["conversation"].map(StorageJSON.string),
            pricingJSON: object["pricing"].map(StorageJSON.string),
            errors: errors(object["errors"], path: "\(path).errors"),
            phoneNumberID: phoneNumberID,
            callbackData: JSONFields.string(object["biz_opaque_callback_data"]))
    }

    mutating func errors(_ value: JSONValue?, path: String) -> [WhatsAppError] {
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
    mutating func timestamp(_ value: JSONValue?, path: String) -> Int64 {
        if let seconds = JSONFields.int64(value) { return seconds }
        warn(path, value == nil ? "missing, using 0" : "not an integer, using 0")
        return 0
    }
}
