// The one writer: a dedicated thread owning the write connection, committing queued jobs in groups.
import Foundation

/// Reactor threads must never block on disk, and one fsync (~3 ms) per webhook would cap
/// throughput, so every write goes through here: jobs queue up, the writer thread takes all of
/// them (up to `maxGroup`), runs them inside ONE `BEGIN IMMEDIATE … COMMIT`, and only after that
/// commit calls each job's completion with its own result. Each job runs inside its own
/// SAVEPOINT, so a job that throws is rolled back alone and does not fail its group.
///
/// Completions run on the writer thread (the caller hops back to its own loop); keep them short.
/// A completion is called exactly once per submitted job. A job rejected up front (store closed,
/// queue full) is completed immediately on the submitting thread.
///
/// Call `close()` at shutdown: the running thread keeps the writer (and its connection) alive.
public final class StoreWriter: @unchecked Sendable {  // mutable state: `queue` and `statsLock` guard theirs; `connection` is writer-thread only
    public let path: String
    public let maxGroup: Int
    private let connection: ConfinedConnection
    private let queue: JobQueue<any WriteJob>
    private let latch = ThreadExitLatch(count: 1)
    private let statsLock = NSLock()
    private var currentStats = WriterStats()
    /// Called on the writer thread after each successful COMMIT with its duration and the group
    /// size (for latency histograms); set once, at init.
    private let onCommit: (@Sendable (_ commitDuration: Duration, _ groupSize: Int) -> Void)?

    /// Opens (creating if needed) the database, sets WAL + synchronous=FULL + busy timeout, runs
    /// migrations, then starts the writer thread.
    public init(path: String, maxGroup: Int = 512, maxQueued: Int = 100_000,
                onCommit: (@Sendable (_ commitDuration: Duration, _ groupSize: Int) -> Void)? = nil) throws {
        self.path = path
        self.onCommit = onCommit
        self.maxGroup = max(1, maxGroup)
        let database = try Database(path: path)
        let journalMode = try database.pragma("journal_mode = WAL")
        guard journalMode?.lowercased() == "wal" else {
            throw StoreError(code: "sqlite_error", message: "could not switch the journal to WAL")
        }
        try database.execute("PRAGMA synchronous = FULL")
        try Migrations.apply(database)
        connection = ConfinedConnection(database)
        queue = JobQueue(capacity: maxQueued)

        let thread = Thread { [self] in self.runLoop() }
        thread.name = "store-writer"
        thread.start()
    }

    /// Queues `job`. `completion` receives the job's value once the group containing it has
    /// committed durably, or the job's (or the group's) error.
    public func submit<T: Sendable>(
        _ job: @escaping @Sendable (Database) throws -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        switch queue.push(TypedWriteJob(body: job, completion: completion)) {
        case .accepted:
            return
        case .closed:
            completion(.failure(.closed))
        case .full:
            completion(.failure(StoreError(code: "overloaded", message: "the write queue is full")))
        }
    }

    /// Blocks the calling thread until the job has committed. For start-up and tests only: never
    /// on a reactor thread. From inside a writer job or completion it fails with "misuse"
    /// instead of deadlocking.
    public func submitAndWait<T: Sendable>(_ job: @escaping @Sendable (Database) throws -> T) throws -> T {
        try submitAndBlock(latch: latch, threadName: "the writer thread") { submit(job, completion: $0) }
    }

    /// Refuses new jobs, lets the writer commit everything already queued, then stops the thread
    /// and closes the connection. Idempotent. Called from the writer thread itself (a completion),
    /// it only stops intake and returns; the thread finishes draining on its own.
    public func close() {
        queue.close()
        // Every caller off the store's own threads waits, so a second close() also returns only
        // once the threads are gone.
        if latch.isCurrentThreadTracked { return }
        latch.waitForAll()
    }

    /// A consistent snapshot, safe to read from any thread.
    public var stats: WriterStats {
        statsLock.lock()
        defer { statsLock.unlock() }
        return currentStats
    }

    /// Jobs waiting for the writer (not counting the group in progress).
    public var queuedJobs: Int { queue.count }

    // MARK: writer thread

    private func runLoop() {
        latch.registerCurrentThread()
        while true {
            let group = queue.takeBatch(limit: maxGroup)
            if group.isEmpty { break }
            commitGroup(group)
        }
        latch.exited()
    }

    private func commitGroup(_ group: [any WriteJob]) {
        let db = connection.database
        let clock = ContinuousClock()
        let groupStart = clock.now
        var failedGroups = 0

        func begin() -> StoreError? {
            do { try db.execute("BEGIN IMMEDIATE"); return nil } catch { return StoreError.wrapping(error) }
        }
        /// Marks the jobs that had succeeded as failed: their writes were not committed.
        /// Jobs that failed on their own keep their own error.
        func failSucceeded(_ jobs: ArraySlice<any WriteJob>, with error: StoreError) {
            for job in jobs where job.outcomeError == nil { job.overrideOutcome(error) }
        }

        if let error = begin() {
            for job in group { job.overrideOutcome(error) }
            finish(group[...], start: groupStart, commitDuration: .zero, commits: 0, failedGroups: 1)
            return
        }
        // Jobs from `open` on belong to the transaction currently open.
        var open = 0
        for index in group.indices {
            let job = group[index]
            runInSavepoint(job, db: db)
            if db.isInTransaction { continue }
            // The job ended the group's transaction: a COMMIT/ROLLBACK of its own, or an error
            // after which SQLite rolled back by itself (disk full, I/O). The earlier jobs' writes
            // may be gone, so none of them may be reported as committed.
            let cause = job.outcomeError?.code ?? "ended by the job"
            failSucceeded(group[open..<index],
                          with: StoreError(code: "aborted", message: "the group's transaction ended early (\(cause))"))
            if job.outcomeError == nil {
                job.overrideOutcome(StoreError(code: "misuse", message: "a writer job must not end the transaction"))
            }
            failedGroups += 1
            open = index + 1
            if let error = begin() {
                for job in group[open...] { job.overrideOutcome(error) }
                finish(group[...], start: groupStart, commitDuration: .zero, commits: 0,
                       failedGroups: failedGroups + 1)
                return
            }
        }

        // A failed BEGIN above always returns, so a transaction is open here. The remaining
        // jobs (those after a job that ended a transaction, if any) are never run twice.
        var commits = 0
        let commitStart = clock.now
        do {
            try db.execute("COMMIT")
            commits = 1
        } catch {
            if db.isInTransaction { try? db.execute("ROLLBACK") }
            failSucceeded(group[open...], with: StoreError.wrapping(error))
            failedGroups += 1
        }
        let commitDuration = clock.now - commitStart
        finish(group[...], start: groupStart, commitDuration: commitDuration, commits: commits,
               failedGroups: failedGroups)
    }

    private func runInSavepoint(_ job: any WriteJob, db: Database) {
        do {
            try db.execute("SAVEPOINT sb_writer_job")
        } catch {
            job.overrideOutcome(StoreError.wrapping(error))
            return
        }
        job.run(db)
        guard db.isInTransaction else { return }
        if job.outcomeError == nil {
            do {
                try db.execute("RELEASE sb_writer_job")
                return
            } catch {
                job.overrideOutcome(StoreError.wrapping(error))
            }
        }
        try? db.execute("ROLLBACK TO sb_writer_job")
        try? db.execute("RELEASE sb_writer_job")
    }

    /// Records stats, then calls completions outside any lock.
    private func finish(_ jobs: ArraySlice<any WriteJob>, start: ContinuousClock.Instant,
                        commitDuration: Duration, commits: Int, failedGroups: Int) {
        let failed = jobs.reduce(0) { $0 + ($1.outcomeError == nil ? 0 : 1) }
        statsLock.lock()
        currentStats.commits += commits
        currentStats.jobs += jobs.count
        currentStats.failedJobs += failed
        currentStats.failedGroups += failedGroups
        currentStats.lastGroupSize = jobs.count
        currentStats.largestGroupSize = max(currentStats.largestGroupSize, jobs.count)
        if commits > 0 {
            currentStats.lastCommitDuration = commitDuration
            currentStats.totalCommitDuration += commitDuration
            currentStats.lastGroupDuration = ContinuousClock().now - start
        }
        statsLock.unlock()
        if commits > 0 { onCommit?(commitDuration, jobs.count) }
        for job in jobs { job.complete() }
    }
}

/// A queued job with its result type erased, so one queue holds jobs of every type.
protocol WriteJob: AnyObject {
    func run(_ db: Database)
    /// The error this job will be completed with, if any.
    var outcomeError: StoreError? { get }
    /// Replaces the outcome with a failure (rolled back, or its group failed to commit).
    func overrideOutcome(_ error: StoreError)
    func complete()
}

/// Touched by the submitting thread (creation) and then only by the writer thread.
final class TypedWriteJob<T: Sendable>: WriteJob, @unchecked Sendable {
    private let body: @Sendable (Database) throws -> T
    private let completion: @Sendable (Result<T, StoreError>) -> Void
    private var outcome: Result<T, StoreError>?

    init(body: @escaping @Sendable (Database) throws -> T,
         completion: @escaping @Sendable (Result<T, StoreError>) -> Void) {
        self.body = body
        self.completion = completion
    }

    func run(_ db: Database) {
        do {
            outcome = .success(try body(db))
        } catch {
            outcome = .failure(StoreError.wrapping(error))
        }
    }

    var outcomeError: StoreError? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    func overrideOutcome(_ error: StoreError) {
        outcome = .failure(error)
    }

    func complete() {
        completion(outcome ?? .failure(StoreError(code: "misuse", message: "job was never run")))
    }
}
