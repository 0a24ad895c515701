// Where the store lives: SQLite under the data dir (default), or PostgreSQL when
// SWITCHBOARD_DATABASE_URL is set. Kept apart from the core table so it grows on its own.
import Store

public struct DatabaseSettings: Sendable, Equatable {
    /// A libpq URI; nil = SQLite under the data dir, exactly as before. Holds a password, so it
    /// is never echoed: its scheme is checked at start-up, where the message can leave it out.
    public var url: String? = nil
    public var schema = "switchboard"
    /// statement_timeout of every PostgreSQL session.
    public var timeoutMs = 5000
    /// How long work claimed by a node that died stays claimed before another takes it over.
    public var leaseSeconds = 30.0

    public init() {}
}

extension Configuration {
    static let databaseSettings: [Setting] = [
        // Accepts any text: a rejected value would be printed, and this one may hold a password.
        Setting(env: "SWITCHBOARD_DATABASE_URL", flag: nil, help: "PostgreSQL connection URI (postgres:// or postgresql://, libpq parameters such as sslmode pass through); unset: SQLite under the data dir") { c, v in
            c.database.url = v.isEmpty ? nil : v; return nil
        },
        Setting(env: "SWITCHBOARD_DATABASE_SCHEMA", flag: nil, help: "PostgreSQL schema holding every Switchboard table (default switchboard; created if missing)") { c, v in
            guard PostgresSettings.isValidSchemaName(v) else { return "expected letters, digits and _, not starting with a digit, at most 63" }
            c.database.schema = v; return nil
        },
        Setting(env: "SWITCHBOARD_DATABASE_TIMEOUT_MS", flag: nil, help: "PostgreSQL statement timeout in ms: bounds every database call (default 5000)") { c, v in
            guard let n = Int(v), (100...600_000).contains(n) else { return "expected an integer 100-600000" }
            c.database.timeoutMs = n; return nil
        },
        Setting(env: "SWITCHBOARD_LEASE_S", flag: nil, help: "seconds before another node takes over work claimed by a node that stopped (PostgreSQL; default 30)") { c, v in
            guard let d = Double(v), d >= 1, d <= 3600 else { return "expected seconds 1-3600" }
            c.database.leaseSeconds = d; return nil
        },
    ]
}
