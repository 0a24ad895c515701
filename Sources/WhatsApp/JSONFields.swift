// Defensive readers over JSONSerialization's untyped output: every accessor returns nil for a
// missing key or a value of the wrong type instead of trapping.
import Foundation

typealias JSONObject = [String: Any]

enum JSONFields {
    static func object(_ value: Any?) -> JSONObject? { value as? JSONObject }

    static func array(_ value: Any?) -> [Any]? { value as? [Any] }

    /// A string; integers are accepted too (ids that arrive as numbers), booleans are not.
    static func string(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let n = value as? NSNumber, !isBoolean(n), let i = n as? Int64 { return String(i) }
        return nil
    }

    /// An integer from a number or a decimal string; nil for fractions, overflow or booleans.
    static func int64(_ value: Any?) -> Int64? {
        if let s = value as? String { return Int64(s.trimmingCharacters(in: .whitespaces)) }
        if let n = value as? NSNumber, !isBoolean(n) { return n as? Int64 }
        return nil
    }

    static func int(_ value: Any?) -> Int? {
        guard let v = int64(value) else { return nil }
        return Int(exactly: v)
    }

    /// A finite double from a number or a numeric string.
    static func double(_ value: Any?) -> Double? {
        var result: Double?
        if let s = value as? String { result = Double(s.trimmingCharacters(in: .whitespaces)) }
        else if let n = value as? NSNumber, !isBoolean(n) { result = n.doubleValue }
        guard let d = result, d.isFinite else { return nil }
        return d
    }

    /// true/false, or the strings "true"/"false"; anything else is false.
    static func bool(_ value: Any?) -> Bool {
        if let n = value as? NSNumber, isBoolean(n) { return n.boolValue }
        if let s = value as? String { return s == "true" }
        return false
    }

    /// Re-encodes a parsed value with sorted keys and unescaped slashes, for storage.
    /// Values come from JSONSerialization itself, so encoding cannot meet an invalid object;
    /// should it fail anyway the answer is nil, not a trap.
    static func encode(_ value: Any?) -> String? {
        guard let value, JSONSerialization.isValidJSONObject([value]) else { return nil }
        guard let data = try? JSONSerialization.data(
            withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// JSONSerialization hands booleans back as NSNumber (objCType "c", a CFBoolean); telling
    /// them apart keeps `true` from becoming an id "1" or a timestamp. Parsed integers are never
    /// stored as `char`.
    private static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
    }
}
