// Read-only connections on a few threads of their own, beside the writer (WAL lets them coexist).
import Foundation

/// Queries must not queue behind the writer's group commits, and must not run on reactor
/// threads either. Each reader thread owns one read-only connection; jobs are handed to
/// whichever thread is free. Each job runs in its own read transaction, so it sees one
/// consistent snapshot: everything committed before it started, nothing later.
///
/// Completions run on a reader thread. A job rejected up front (closed, queue full) is completed
/// immediately on the submitting thread.
public final class StoreReader: @unchecked Sendable {  // shared state lives in `queue` and `latch` (both locked); connections are thread-confined
    private let queue: JobQueue<@Sendable (Database) -> Void>
    private let latch: ThreadExitLatch

    /// The database must already exist (a writer creates it and switches it to WAL).
    public init(path: String, connections: Int = 2, maxQueued: Int = 10_000) throws {
        let count = max(1, connections)
        var opened: [ConfinedConnection] = []
        for _ in 0..<count {
            opened.append(ConfinedConnection(try Database(path: path, readOnly: true)))
        }
        queue = JobQueue(capacity: maxQueued)
        latch = ThreadExitLatch(count: count)
        for (number, connection) in opened.enumerated() {
            let thread = Thread { [queue, latch] in
                Self.runLoop(connection: connection, queue: queue, latch: latch)
            }
            thread.name = "store-reader-\(number)"
            thread.start()
        }
    }

    public func submit<T: Sendable>(
        _ job: @escaping @Sendable (Database) throws -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        let erased: @Sendable (Database) -> Void = { db in
            completion(Self.runReadTransaction(job, db: db))
        }
        switch queue.push(erased) {
        case .accepted:
            return
        case .closed:
            completion(.failure(.closed))
        case .full:
            completion(.failure(StoreError(code: "overloaded", message: "the read queue is full")))
        }
    }

    /// Blocks until the query has run. For start-up and tests only; "misuse" on a reader thread.
    public func submitAndWait<T: Sendable>(_ job: @escaping @Sendable (Database) throws -> T) throws -> T {
        try submitAndBlock(latch: latch, threadName: "a reader thread") { submit(job, completion: $0) }
    }

    /// Refuses new jobs, runs the queued ones, then stops the threads. Idempotent.
    public func close() {
        queue.close()
        // Every caller off the store's own threads waits, so a second close() also returns only
        // once the threads are gone.
        if latch.isCurrentThreadTracked { return }
        latch.waitForAll()
    }

    private static func runReadTransaction<T>(_ job: (Database) throws -> T, db: Database) -> Result<T, StoreError> {
        do {
            return .success(try db.transaction { try job(db) })
        } catch {
            return .failure(StoreError.wrapping(error))
        }
    }

    private static func runLoop(connection: ConfinedConnection,
                                queue: JobQueue<@Sendable (Database) -> Void>,
                                latch: ThreadExitLatch) {
        latch.registerCurrentThread()
        while true {
            let jobs = queue.takeBatch(limit: 1)
            guard let job = jobs.first else { break }
            job(connection.database)
        }
        latch.exited()
    }
}
