// The shared store: every store protocol over PostgreSQL (libpq on the store's own threads,
// never on a reactor loop). Several nodes may open the same schema: claims are leased, ordering
// and pacing work is done by the lease holder, and writes resolve races with ON CONFLICT.
import Foundation
import Locks
import Postgres

public final class PostgresStore: Sendable {
    let settings: PostgresSettings
    /// Webhook appends only, on a connection of their own: their group commits never wait
    /// behind the inbox worker's apply transactions (many statements each).
    let appender: PostgresWriter
    /// Every other write: claims, applies, the outbox, conversations, probes.
    let writer: PostgresWriter
    let readers: PostgresReaders
    /// Requests waiting for their inbox row to be handled (the synchronous webhook mode).
    let handledWaiters = InboxWaiters()
    /// Waiting rows that another node may apply: their ids, watched until settled there.
    let remoteWaits = Locked<Set<Int64>>([])
    /// Rows this node claimed whose `process` failed as a whole (the database went away): they
    /// stay 'processing' under our claim, and the worker's own reset may have failed too. The
    /// next claim puts them back first.
    let strandedClaims = Locked<Set<Int64>>([])

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
        writer = PostgresWriter(link: PostgresLink(settings: settings, session: migrating))
        do {
            appender = PostgresWriter(link: PostgresLink(settings: settings, session: PostgresSession(try Self.connectOrExplain(settings))),
                                      onCommit: onCommit)
        } catch {
            writer.close()
            throw error
        }
        var links: [PostgresLink] = []
        do {
            for _ in 0..<max(1, settings.readers) {
                links.append(PostgresLink(settings: settings, session: PostgresSession(try Self.connectOrExplain(settings))))
            }
        } catch {
            appender.close()
            writer.close()
            throw error
        }
        readers = PostgresReaders(links: links)
    }

    /// Refuses new work, finishes what is queued, then stops the threads. Idempotent.
    public func close() {
        readers.close()
        appender.close()
        writer.close()
    }

    public var statistics: StoreStatistics {
        let appends = appender.stats, writes = writer.stats
        return StoreStatistics(commits: appends.commits + writes.commits, lastGroupSize: appends.lastGroupSize,
                               queuedWrites: appender.queuedJobs + writer.queuedJobs)
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
