// libFuzzer target for the webhook decoder: no body may crash it, it refuses exactly what the
// JSON module refuses (or a non-object / another `object`), and every JSON text it stores for a
// sub-object parses back, is stable when stored again, and says what was decoded from it.
// Built with the decoder's source files by fuzz/webhook/fuzz-webhook.sh.
import JSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhook(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let body = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let parsed = try? WebhookDecoder.parse(body)
    let payload: WebhookPayload
    do {
        payload = try WebhookDecoder.decode(body)
    } catch let error as WebhookDecodeError {
        switch error.code {
        case "invalid_json", "too_deep":
            guard parsed == nil else { fatalError("refused as \(error.code) what the parser accepts") }
        case "not_an_object":
            guard let parsed, parsed.objectValue == nil else { fatalError("an object refused as not_an_object") }
        case "wrong_object":
            guard let parsed, JSONFields.string(JSONFields.object(parsed)?["object"]) != WebhookDecoder.expectedObject else {
                fatalError("the expected object refused as wrong_object")
            }
        default:
            fatalError("unknown error code \(error.code)")
        }
        return 0
    } catch {
        fatalError("decode threw \(error)")
    }
    guard parsed != nil else { fatalError("decoded what the parser refuses") }
    for change in payload.changes {
        switch change {
        case .otherField(_, let valueJSON):
            _ = storedForm(valueJSON)
        case .messages(let value):
            for message in value.messages {
                let stored = JSONFields.object(storedForm(message.rawJSON))
                guard let stored, JSONFields.string(stored["id"]) == message.id,
                      JSONFields.string(stored["type"]) ?? "unknown" == message.type else {
                    fatalError("stored message does not say what was decoded: \(message.rawJSON)")
                }
                if let referral = message.referralJSON { _ = storedForm(referral) }
                if case .contacts(_, let cards) = message.content { _ = storedForm(cards) }
            }
            for status in value.statuses {
                if let pricing = status.pricingJSON { _ = storedForm(pricing) }
                if let conversation = status.conversationJSON { _ = storedForm(conversation) }
            }
        }
    }
    return 0
}

/// Parses a stored JSON text and checks that storing it again gives the same bytes.
private func storedForm(_ text: String) -> JSONValue {
    guard let value = try? JSONParser.parse(Array(text.utf8), maxDepth: WebhookDecoder.maxNestingDepth) else {
        fatalError("stored JSON does not parse: \(text)")
    }
    guard StorageJSON.string(value) == text else { fatalError("storing is not stable: \(text)") }
    return value
}
