// Queries on a few threads of their own, each with its own connection, so reads never queue
// behind the writer's group commits. Each job runs in one REPEATABLE READ READ ONLY transaction:
// one consistent snapshot.
import Foundation

final class PostgresReaders: @unchecked Sendable {  // shared state lives in `queue` and `latch`; links are thread-confined
    private let queue: JobQueue<any PostgresJob>
    private let latch: ThreadExitLatch

    init(links: [PostgresLink], maxQueued: Int = 10_000) {
        queue = JobQueue(capacity: maxQueued)
        latch = ThreadExitLatch(count: links.count)
        for (number, link) in links.enumerated() {
            let confined = ConfinedLink(link)
            let thread = Thread { [queue, latch] in Self.runLoop(confined.link, queue: queue, latch: latch) }
            thread.name = "pg-reader-\(number)"
            thread.start()
        }
    }

    func submit<T: Sendable>(_ job: @escaping @Sendable (PostgresSession) throws -> T,
                             completion: @escaping StoreCompletion<T>) {
        let typed = TypedPostgresJob(body: job, completion: completion)
        switch queue.push(typed) {
        case .accepted: return
        case .closed: completion(.failure(.closed))
        case .full: completion(.failure(StoreError(code: "overloaded", message: "the read queue is full")))
        }
    }

    func close() {
        queue.close()
        if latch.isCurrentThreadTracked { return }
        latch.waitForAll()
    }

    private static func runLoop(_ link: PostgresLink, queue: JobQueue<any PostgresJob>, latch: ThreadExitLatch) {
        latch.registerCurrentThread()
        while let job = queue.takeBatch(limit: 1).first {
            do {
                let db = try link.liveSession()
                try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                job.run(db)
                if db.isInTransaction { try? db.execute("ROLLBACK") }
                link.dropIfBroken()
                job.complete()
            } catch {
                link.dropIfBroken()
                job.fail(StoreError.postgres(error))
            }
        }
        latch.exited()
    }
}

/// Hands a link to the thread that will own it.
private final class ConfinedLink: @unchecked Sendable {
    let link: PostgresLink
    init(_ link: PostgresLink) { self.link = link }
}
