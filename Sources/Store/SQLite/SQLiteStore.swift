// The embedded store: one SQLite file, one writer thread committing in groups, a few reader
// threads. Implements every store protocol; callers see only the protocols.
import Locks

/// Mutations go to the writer (group commit: many requests, one fsync), queries to the readers
/// (WAL: they never wait for the writer). Completions run on those threads.
///
/// Call `close()` at shutdown: it lets queued work finish, then stops the threads.
public final class SQLiteStore: Sendable {
    let writer: StoreWriter
    let reader: StoreReader
    /// Requests waiting for their inbox row to be handled (the synchronous webhook mode).
    let handledWaiters = InboxWaiters()

    /// Opens (creating and migrating if needed) the database at `path`. `maxGroup` 1 turns group
    /// commit off (one fsync per write); `onCommit` sees each commit's duration and group size.
    public init(path: String, maxGroup: Int = 512, readers: Int = 2,
                onCommit: (@Sendable (_ commitDuration: Duration, _ groupSize: Int) -> Void)? = nil) throws {
        writer = try StoreWriter(path: path, maxGroup: maxGroup, onCommit: onCommit)
        do {
            reader = try StoreReader(path: path, connections: readers)
        } catch {
            writer.close()
            throw error
        }
    }

    /// Refuses new work, finishes what is queued, then stops the threads. Idempotent.
    public func close() {
        reader.close()
        writer.close()
    }

    public var statistics: StoreStatistics {
        let stats = writer.stats
        return StoreStatistics(commits: stats.commits, lastGroupSize: stats.lastGroupSize, queuedWrites: writer.queuedJobs)
    }
}

/// Callbacks keyed by inbox id, released once the worker reports the row handled. Registered
/// on the writer thread (after the append commits), released on the worker's thread.
final class InboxWaiters: Sendable {
    private let waiting = Locked<[Int64: [@Sendable () -> Void]]>([:])

    func add(_ id: Int64, _ handled: @escaping @Sendable () -> Void) {
        waiting.withLock { $0[id, default: []].append(handled) }
    }

    func release(_ ids: [Int64]) {
        let ready = waiting.withLock { waiting in ids.flatMap { waiting.removeValue(forKey: $0) ?? [] } }
        for handled in ready { handled() }
    }
}
