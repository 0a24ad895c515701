// A parameter bound to a PostgreSQL statement. Every statement is parameterised: values never
// become SQL text.

public enum PostgresValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])
}

extension PostgresValue {
    /// `.text` for a value, `.null` for nil.
    public static func optionalText(_ value: String?) -> PostgresValue {
        value.map(PostgresValue.text) ?? .null
    }

    public static func optionalInt(_ value: Int64?) -> PostgresValue {
        value.map(PostgresValue.int) ?? .null
    }

    /// The type OID sent with the value, so the server never has to guess (and never guesses
    /// text for a number compared with a column).
    var typeOID: UInt32 {
        switch self {
        case .null: return 0
        case .int: return 20      // int8
        case .double: return 701  // float8
        case .text: return 25     // text
        case .bytes: return 17    // bytea
        }
    }
}
