// Opens the store the configuration names: SQLite under the data dir, or PostgreSQL at
// SWITCHBOARD_DATABASE_URL. A PostgreSQL that cannot be used stops start-up with one line that
// names the variable and libpq's reason, never the password.
import Foundation
import Observability
import Store

struct OpenedStore {
    let store: any SwitchboardStore
    let close: @Sendable () -> Void
    /// For the start-up log line: "sqlite <path>" or the redacted URI and schema.
    let summary: String
}

struct DatabaseStartupError: Error, CustomStringConvertible {
    let description: String
}

enum StoreOpening {
    static func open(config: Configuration, metrics: SwitchboardMetrics) throws -> OpenedStore {
        // Both stores report their group commits into the same series (named after the
        // embedded default), so dashboards and alerts read one set of figures.
        let recordCommit: @Sendable (Duration, Int) -> Void = { duration, group in
            metrics.sqliteCommitDuration.recordNanoseconds(Int64(duration.components.seconds) &* 1_000_000_000 &+ duration.components.attoseconds / 1_000_000_000)
            metrics.sqliteGroupSize.record(group)
        }
        guard let url = config.database.url else {
            let path = config.dataDir + "/switchboard.db"
            let store = try SQLiteStore(path: path, maxGroup: config.groupCommit ? 512 : 1, onCommit: recordCommit)
            return OpenedStore(store: store, close: { store.close() }, summary: "sqlite \(path)")
        }
        guard PostgresSettings.isPostgresURL(url) else {
            throw DatabaseStartupError(description: "SWITCHBOARD_DATABASE_URL: expected a postgres:// or postgresql:// URI")
        }
        let settings = PostgresSettings(
            url: url, schema: config.database.schema, statementTimeoutMs: config.database.timeoutMs,
            leaseMs: Int64(config.database.leaseSeconds * 1000),
            nodeID: try config.cluster.nodeID ?? nodeID(dataDir: config.dataDir))
        do {
            let store = try PostgresStore(settings: settings, onCommit: recordCommit)
            return OpenedStore(store: store, close: { store.close() },
                               summary: "postgresql \(settings.redactedURL) schema \(config.database.schema)")
        } catch let error as StoreError where error.code == "unavailable" {
            throw DatabaseStartupError(description: "SWITCHBOARD_DATABASE_URL: cannot connect to PostgreSQL: "
                                       + settings.redacting(error.message))
        } catch let error as StoreError {
            throw DatabaseStartupError(description: "SWITCHBOARD_DATABASE_URL: PostgreSQL store not usable (\(error.code)): "
                                       + settings.redacting(error.message))
        }
    }

    /// This node's name in leases and claims when SWITCHBOARD_NODE_ID is unset: kept in the data
    /// dir so a restarted node resumes its own claims at once (the generated per-start node id
    /// would leave them to the lease), while each node (own data dir) has its own.
    static func nodeID(dataDir: String) throws -> String {
        let path = dataDir + "/node_id"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        let id = "\(host)-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        try (id + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return id
    }
}
