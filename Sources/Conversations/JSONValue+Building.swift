// Small constructors for building event and REST objects with the repo's JSON writer.
import JSON

extension JSONValue {
    static func int(_ value: Int64) -> JSONValue { .number(String(value)) }

    static func optionalInt(_ value: Int64?) -> JSONValue { value.map(JSONValue.int) ?? .null }

    static func optionalString(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// JSON text we stored ourselves (re-encoded by the decoder), embedded as a value. Text that
    /// does not parse — impossible for our own rows, but a row could be edited by hand — is
    /// embedded as a string rather than dropped or trusted raw.
    static func embedded(_ text: String?) -> JSONValue {
        guard let text else { return .null }
        if let value = try? JSONParser.parse(Array(text.utf8)) { return value }
        return .string(text)
    }
}
