// The one error type of the Postgres module: what failed, PostgreSQL's SQLSTATE when the server
// sent one, and libpq's or the server's message (which never echoes bound parameters).

public struct PostgresError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection broke: the server is unreachable or restarting.
        case connection
        /// The server refused a statement (constraint, syntax, timeout, serialization...).
        case statement
        /// A value the caller asked for is not what the column holds.
        case decoding
    }

    public let kind: Kind
    /// Five-character SQLSTATE ("23505" unique violation, "57014" statement timeout...), when known.
    public let sqlState: String?
    public let message: String

    public init(kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        "PostgresError(\(kind.rawValue)\(sqlState.map { ", \($0)" } ?? "")): \(message)"
    }

    /// SQLSTATE class 08 (connection exception), 57P (operator intervention: shutdown, restart)
    /// and 53 (insufficient resources): worth reconnecting and trying again later.
    public var isConnectionLoss: Bool {
        if kind == .connection { return true }
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53")
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isStatementTimeout: Bool { sqlState == "57014" }
}
