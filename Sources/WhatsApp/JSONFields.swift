// Lenient, typed reads over a parsed webhook document (the JSON module's JSONValue): every
// accessor returns nil for a missing key or a value of the wrong type instead of trapping.
import JSON

/// An object's members, looked up the way Meta's other consumers read them.
///
/// When a key repeats, the last value wins, as in Python's `json`, JavaScript's `JSON.parse`
/// and the JSONSerialization this decoder used before (the JSON module's own subscript takes the
/// first). Keys are compared byte for byte (RFC 8259 §8.3). StorageJSON keeps the same member,
/// so a stored message always says what was decoded from it.
struct JSONObject {
    let members: [(String, JSONValue)]

    subscript(key: String) -> JSONValue? {
        var found: JSONValue?
        for (name, value) in members where KeyBytes.equal(name, key) { found = value }
        return found
    }
}

enum JSONFields {
    static func object(_ value: JSONValue?) -> JSONObject? {
        guard case .object(let members)? = value else { return nil }
        return JSONObject(members: members)
    }

    static func array(_ value: JSONValue?) -> [JSONValue]? {
        guard case .array(let elements)? = value else { return nil }
        return elements
    }

    /// A string; integral numbers are accepted too (ids that arrive as numbers, written in
    /// decimal: `1e3` gives "1000"), booleans are not.
    static func string(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s
        case .number(let literal)?: return IntegralLiteral.int64(literal).map { String($0) }
        default: return nil
        }
    }

    /// An integer from an integral number (`1.0` and `1e3` count, `0.5` does not) or a decimal
    /// string with optional sign and surrounding spaces; nil for fractions, overflow or booleans.
    static func int64(_ value: JSONValue?) -> Int64? {
        switch value {
        case .string(let s)?: return Int64(trimmingSpaces(s))
        case .number(let literal)?: return IntegralLiteral.int64(literal)
        default: return nil
        }
    }

    static func int(_ value: JSONValue?) -> Int? {
        guard let v = int64(value) else { return nil }
        return Int(exactly: v)
    }

    /// A finite double from a number or a numeric string.
    static func double(_ value: JSONValue?) -> Double? {
        let result: Double?
        switch value {
        case .string(let s)?: result = Double(trimmingSpaces(s))
        case .number(let literal)?: result = Double(literal)
        default: result = nil
        }
        guard let d = result, d.isFinite else { return nil }
        return d
    }

    /// true/false, or the strings "true"/"false"; anything else (numbers included) is false.
    static func bool(_ value: JSONValue?) -> Bool {
        switch value {
        case .bool(let b)?: return b
        case .string(let s)?: return s == "true"
        default: return false
        }
    }

    /// Drops leading and trailing tabs and Unicode space separators (category Zs: U+0020,
    /// U+00A0, U+3000, …), but not line breaks: the set Foundation calls `.whitespaces`, which
    /// this decoder trimmed numeric strings with before.
    static func trimmingSpaces(_ s: String) -> Substring {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return s[s.endIndex...] }
        return Substring(scalars[first...last])
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
    }
}
