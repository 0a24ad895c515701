// The PostgreSQL writer: one thread, one connection, committing queued work in groups. Webhook
// appends that queue up together become ONE multi-row INSERT in one transaction, acknowledged
// only after its COMMIT (synchronous_commit on); other writes run each in a savepoint of the
// same transaction, so one that throws is undone alone.
import Foundation
import Postgres

final class PostgresWriter: @unchecked Sendable {  // `queue`, `latch` and `statsLock` guard theirs; `link` is writer-thread only
    private let queue: JobQueue<PostgresWriteJob>
    private let latch = ThreadExitLatch(count: 1)
    private let link: PostgresLink
    private let maxGroup: Int
    private let statsLock = NSLock()
    private var currentStats = WriterStats()
    /// Appends per INSERT statement: 5 parameters each, well under PostgreSQL's 65,535.
    static let appendsPerStatement = 1000

    private let onCommit: (@Sendable (_ commitDuration: Duration, _ groupSize: Int) -> Void)?

    init(link: PostgresLink, maxGroup: Int = 1024, maxQueued: Int = 100_000,
         onCommit: (@Sendable (_ commitDuration: Duration, _ groupSize: Int) -> Void)? = nil) {
        self.link = link
        self.onCommit = onCommit
        self.maxGroup = max(1, maxGroup)
        queue = JobQueue(capacity: maxQueued)
        let thread = Thread { [self] in runLoop() }
        thread.name = "pg-writer"
        thread.start()
    }

    func append(_ delivery: InboxDelivery, completion: @escaping StoreCompletion<Int64>) {
        push(.append(delivery, completion))
    }

    func submit<T: Sendable>(_ job: @escaping @Sendable (PostgresSession) throws -> T,
                             completion: @escaping StoreCompletion<T>) {
        push(.write(TypedPostgresJob(body: job, completion: completion)))
    }

    private func push(_ job: PostgresWriteJob) {
        switch queue.push(job) {
        case .accepted: return
        case .closed: job.fail(.closed)
        case .full: job.fail(StoreError(code: "overloaded", message: "the write queue is full"))
        }
    }

    func close() {
        queue.close()
        if latch.isCurrentThreadTracked { return }
        latch.waitForAll()
    }

    var stats: WriterStats {
        statsLock.lock()
        defer { statsLock.unlock() }
        return currentStats
    }

    var queuedJobs: Int { queue.count }

    // MARK: writer thread

    private func runLoop() {
        latch.registerCurrentThread()
        while true {
            let group = queue.takeBatch(limit: maxGroup)
            if group.isEmpty { break }
            commit(group)
        }
        latch.exited()
    }

    private func commit(_ group: [PostgresWriteJob]) {
        var appends: [(InboxDelivery, StoreCompletion<Int64>)] = []
        var writes: [any PostgresJob] = []
        for job in group {
            switch job {
            case .append(let delivery, let completion): appends.append((delivery, completion))
            case .write(let write): writes.append(write)
            }
        }
        var ids: [Int64] = []
        var commitDuration = Duration.zero
        let started = ContinuousClock().now
        do {
            let db = try link.liveSession()
            try db.execute("BEGIN")
            do {
                var start = 0
                while start < appends.count {
                    let end = min(start + Self.appendsPerStatement, appends.count)
                    ids += try PostgresInbox.append(db, appends[start..<end].map(\.0))
                    start = end
                }
                for write in writes { try runInSavepoint(write, db: db) }
                let commitStart = ContinuousClock().now
                try db.execute("COMMIT")
                commitDuration = ContinuousClock().now - commitStart
            } catch {
                if db.isInTransaction { try? db.execute("ROLLBACK") }
                throw error
            }
        } catch {
            link.dropIfBroken()
            let failure = StoreError.postgres(error)
            for (_, completion) in appends { completion(.failure(failure)) }
            for write in writes { write.fail(write.outcomeError ?? failure) }
            record(jobs: group.count, committed: false, since: started)
            return
        }
        record(jobs: group.count, committed: true, since: started)
        onCommit?(commitDuration, group.count)
        for (index, append) in appends.enumerated() { append.1(.success(ids[index])) }
        for write in writes { write.complete() }
    }

    /// A job that throws is rolled back to its savepoint and keeps its error; a failure of the
    /// savepoint statements themselves (connection lost) fails the whole group.
    private func runInSavepoint(_ job: any PostgresJob, db: PostgresSession) throws {
        try db.execute("SAVEPOINT sb_job")
        job.run(db)
        if let error = job.outcomeError {
            if error.code == "unavailable" || !db.connection.isHealthy { throw error }
            try db.execute("ROLLBACK TO SAVEPOINT sb_job")
        }
        try db.execute("RELEASE SAVEPOINT sb_job")
    }

    private func record(jobs: Int, committed: Bool, since start: ContinuousClock.Instant) {
        let duration = ContinuousClock().now - start
        statsLock.lock()
        currentStats.jobs += jobs
        currentStats.lastGroupSize = jobs
        currentStats.largestGroupSize = max(currentStats.largestGroupSize, jobs)
        if committed {
            currentStats.commits += 1
            currentStats.lastCommitDuration = duration
            currentStats.totalCommitDuration += duration
            currentStats.lastGroupDuration = duration
        } else {
            currentStats.failedGroups += 1
            currentStats.failedJobs += jobs
        }
        statsLock.unlock()
    }
}

enum PostgresWriteJob {
    case append(InboxDelivery, StoreCompletion<Int64>)
    case write(any PostgresJob)

    func fail(_ error: StoreError) {
        switch self {
        case .append(_, let completion): completion(.failure(error))
        case .write(let job): job.fail(error)
        }
    }
}

/// A queued job with its result type erased.
protocol PostgresJob: AnyObject, Sendable {
    func run(_ db: PostgresSession)
    var outcomeError: StoreError? { get }
    func fail(_ error: StoreError)
    func complete()
}

/// Created on the submitting thread, then touched only by the one store thread that runs it.
final class TypedPostgresJob<T: Sendable>: PostgresJob, @unchecked Sendable {
    private let body: @Sendable (PostgresSession) throws -> T
    private let completion: StoreCompletion<T>
    private var outcome: Result<T, StoreError>?

    init(body: @escaping @Sendable (PostgresSession) throws -> T, completion: @escaping StoreCompletion<T>) {
        self.body = body
        self.completion = completion
    }

    func run(_ db: PostgresSession) {
        do { outcome = .success(try body(db)) } catch { outcome = .failure(StoreError.postgres(error)) }
    }

    var outcomeError: StoreError? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    func fail(_ error: StoreError) { completion(.failure(error)) }

    func complete() {
        completion(outcome ?? .failure(StoreError(code: "misuse", message: "job was never run")))
    }
}
