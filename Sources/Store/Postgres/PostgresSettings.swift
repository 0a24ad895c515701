// How the PostgreSQL store connects and shares work: from SWITCHBOARD_DATABASE_URL,
// SWITCHBOARD_DATABASE_SCHEMA, SWITCHBOARD_DATABASE_TIMEOUT_MS and SWITCHBOARD_LEASE_S.
import Postgres

public struct PostgresSettings: Sendable, Equatable {
    /// A libpq URI (postgres:// or postgresql://); may hold a password: log `redactedURL`.
    public var url: String
    /// Every table lives in this schema (created if missing).
    public var schema: String
    /// statement_timeout of every session: bounds every call.
    public var statementTimeoutMs: Int
    /// How long claimed work stays with a node that stopped renewing its claim.
    public var leaseMs: Int64
    /// This node's name in claims. Stable across restarts of one node (so it resumes its own
    /// claims at once) and distinct between nodes.
    public var nodeID: String
    /// Connections for queries beside the writer's.
    public var readers: Int

    public init(url: String, schema: String = "switchboard", statementTimeoutMs: Int = 5000, leaseMs: Int64 = 30_000,
                nodeID: String, readers: Int = 2) {
        self.url = url
        self.schema = schema
        self.statementTimeoutMs = statementTimeoutMs
        self.leaseMs = leaseMs
        self.nodeID = nodeID
        self.readers = readers
    }

    /// Letters, digits and underscores, not starting with a digit, at most 63 bytes: a schema
    /// name that needs no quoting rules beyond double quotes.
    public static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let isLetter = { (b: UInt8) in (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// SET statements every session runs after connecting.
    var sessionSetup: [String] {
        ["SET search_path TO \"\(schema)\"",
         "SET statement_timeout = \(max(1, statementTimeoutMs))",
         "SET synchronous_commit = on",
         "SET TIME ZONE 'UTC'"]
    }
}

extension PostgresSettings {
    /// True for postgres:// and postgresql:// URIs.
    public static func isPostgresURL(_ url: String) -> Bool { ConnectionURL.hasPostgresScheme(url) }

    /// The URI with its password replaced by "***", for logs.
    public var redactedURL: String { ConnectionURL.redacted(url) }

    /// `text` with the URI's password replaced by "***".
    public func redacting(_ text: String) -> String { ConnectionURL.redacting(text, passwordOf: url) }
}
