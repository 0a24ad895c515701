// The in-memory form of a JSON document, as produced by JSONParser and consumed by JSONWriter.

/// A parsed JSON value.
///
/// Numbers keep the literal exactly as written (already validated against RFC 8259's grammar), so
/// a 30-digit id or a price like `1.10` survives a parse/write round trip unchanged; the typed
/// accessors convert on demand. Objects keep member order and duplicate keys, because the wire
/// bytes we forward should mean what the sender wrote.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x.0 != y.0 || x.1 != y.1 { return false }
            return true
        default: return false
        }
    }

    /// Object member lookup; the first member wins when a key repeats.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        for (k, v) in members where k == key { return v }
        return nil
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// Only for integral literals (no fraction, no exponent) that fit in Int64; `1.0` and `1e3`
    /// are nil so that a caller never silently rounds.
    public var intValue: Int64? {
        guard case let .number(literal) = self else { return nil }
        for c in literal.utf8 where c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            return nil
        }
        return Int64(literal)
    }

    public var doubleValue: Double? {
        guard case let .number(literal) = self else { return nil }
        return Double(literal)
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case let .object(o) = self { return o }
        return nil
    }
}

/// Why a document was refused. `code` is stable ("invalid_json", "too_deep", "too_large");
/// `message` is for humans and names the byte offset.
public struct JSONError: Error, Sendable, Equatable {
    public let code: String
    public let message: String
    public let offset: Int

    public init(code: String, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    static func invalid(_ what: String, at offset: Int) -> JSONError {
        JSONError(code: "invalid_json", message: "\(what) at byte \(offset)", offset: offset)
    }
}
