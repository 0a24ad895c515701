// The shared store: every store protocol over PostgreSQL (libpq on the store's own threads,
// never on a reactor loop). Several nodes may open the same schema: claims are leased, ordering
// and pacing work is done by the lease holder, and writes resolve races with ON CONFLICT.
import Foundation
import Locks
import Postgres

public final class PostgresStore: Sendable {
    let settings: PostgresSettings
    let writer: PostgresWriter
    let readers: PostgresReaders
    /// Requests waiting for their inbox row to be handled (the synchronous webhook mode).
    let handledWaiters = InboxWaiters()
    /// Waiting rows that another node may apply: their ids, watched until settled there.
    let remoteWaits = Locked<Set<Int64>>([])

    /// Connects (failing with libpq's reason, password removed), migrates the schema under an
    /// advisory lock, then starts the writer and reader threads. `onCommit` sees each group
    /// commit's duration and size (the same figures SQLiteStore reports).
    public init(settings: PostgresSettings,
                onCommit: (@Sendable (_ commitDuration: Duration, _ groupSize: Int) -> Void)? = nil) throws {
        guard PostgresSettings.isValidSchemaName(settings.schema) else {
            throw StoreError(code: "invalid_schema", message: "schema name must be letters, digits and _ (got \(settings.schema.count) characters)")
        }
        self.settings = settings
        let migrating = PostgresSession(try Self.connectOrExplain(settings))
        try PostgresMigrations.apply(migrating, schema: settings.schema)
        writer = PostgresWriter(link: PostgresLink(settings: settings, session: migrating), onCommit: onCommit)
        var links: [PostgresLink] = []
        do {
            for _ in 0..<max(1, settings.readers) {
                links.append(PostgresLink(settings: settings, session: PostgresSession(try Self.connectOrExplain(settings))))
            }
        } catch {
            writer.close()
            throw error
        }
        readers = PostgresReaders(links: links)
    }

    /// Refuses new work, finishes what is queued, then stops the threads. Idempotent.
    public func close() {
        readers.close()
        writer.close()
    }

    public var statistics: StoreStatistics {
        let stats = writer.stats
        return StoreStatistics(commits: stats.commits, lastGroupSize: stats.lastGroupSize, queuedWrites: writer.queuedJobs)
    }

    static func connect(_ settings: PostgresSettings, connectTimeoutS: Int) throws -> PostgresConnection {
        try PostgresConnection(url: settings.url, connectTimeoutS: connectTimeoutS, sessionSetup: settings.sessionSetup)
    }

    private static func connectOrExplain(_ settings: PostgresSettings) throws -> PostgresConnection {
        do {
            return try connect(settings, connectTimeoutS: 10)
        } catch let error as PostgresError {
            throw StoreError(code: "unavailable", message: error.message)
        }
    }
}
