// A value bound to, or read from, a SQL statement.

public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue {
    /// `.text` for a value, `.null` for nil: most optional columns bind this way.
    public static func optionalText(_ value: String?) -> SQLValue {
        value.map(SQLValue.text) ?? .null
    }

    public static func optionalInt(_ value: Int64?) -> SQLValue {
        value.map(SQLValue.int) ?? .null
    }
}
