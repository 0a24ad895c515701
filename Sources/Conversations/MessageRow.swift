// One stored message, with every delivery status recorded for it, as the REST API shows it.
import JSON
import Store

extension MessageRow {
    public func json() -> [UInt8] {
        JSONWriter.encode(.object([
            ("id", .int(id)),
            ("wamid", .optionalString(wamid)),
            ("conversation_id", .int(conversationID)),
            ("wa_id", .string(waID)),
            ("phone_number_id", .string(phoneNumberID)),
            ("direction", .string(direction)),
            ("type", .optionalString(type)),
            ("timestamp", .optionalInt(timestampS)),
            ("preview", .optionalString(preview)),
            ("status", .optionalString(status)),
            ("content", .embedded(bodyJSON)),
            ("errors", errorJSON.map { .embedded($0) } ?? .array([])),
            ("statuses", .array(statuses.map(\.jsonValue))),
        ]))
    }
}

extension StatusRow {
    var jsonValue: JSONValue {
        .object([
            ("status", .string(status)),
            ("timestamp", .optionalInt(timestampS)),
            ("errors", errorsJSON.map { .embedded($0) } ?? .array([])),
        ])
    }
}
