// The writer thread: group commit, per-job savepoints, durability settings, close and restart.
import Foundation
import XCTest
@testable import Store

final class StoreWriterTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        scratch = nil
    }

    private struct JobFailure: Error {}

    /// A job that holds the writer thread until `release` is signalled. Returns once the gate is
    /// running (so it is alone in its group); every job submitted meanwhile is queued when it
    /// finishes, so the next group is exactly those jobs: group commit without timing.
    private func submitGate(_ writer: StoreWriter, release: DispatchSemaphore, done: DispatchGroup) {
        let started = DispatchSemaphore(value: 0)
        done.enter()
        writer.submit({ _ in
            started.signal()
            release.wait()
        }, completion: { _ in done.leave() })
        started.wait()
    }

    func testWALAndSynchronousFullAreSet() throws {
        let path = scratch.path("pragmas.sqlite")
        let writer = try StoreWriter(path: path)
        defer { writer.close() }
        let (journal, synchronous, busyTimeout) = try writer.submitAndWait { db in
            (try db.pragma("journal_mode"), try db.pragma("synchronous"), try db.pragma("busy_timeout"))
        }
        XCTAssertEqual(journal, "wal")
        XCTAssertEqual(synchronous, "2", "2 is FULL")
        XCTAssertEqual(busyTimeout, "5000")
        XCTAssertEqual(try Database(path: path, readOnly: true).pragma("journal_mode"), "wal",
                       "WAL is persistent in the file")
    }

    func testConcurrentSubmitsEachCompleteOnceWithTheirOwnResultInFewCommits() throws {
        let writer = try StoreWriter(path: scratch.path("group.sqlite"))
        defer { writer.close() }
        let threads = 10, perThread = 20, total = threads * perThread
        let results = Collected<(Int, Result<Int64, StoreError>)>()
        let done = DispatchGroup()
        let release = DispatchSemaphore(value: 0)
        submitGate(writer, release: release, done: done)

        let submitted = DispatchGroup()
        for thread in 0..<threads {
            submitted.enter()
            Thread {
                for offset in 0..<perThread {
                    let index = thread * perThread + offset
                    done.enter()
                    writer.submit({ db in
                        try db.run("INSERT INTO kv (key, value) VALUES (?, ?)", [.text("job-\(index)"), .text("\(index)")])
                        return db.lastInsertRowID
                    }, completion: { result in
                        results.append((index, result))
                        done.leave()
                    })
                }
                submitted.leave()
            }.start()
        }
        XCTAssertEqual(submitted.wait(timeout: .now() + 60), .success)
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)

        let collected = results.values
        XCTAssertEqual(collected.count, total, "each completion exactly once")
        XCTAssertEqual(Set(collected.map(\.0)).count, total, "no completion called twice")
        let rowIDs = try collected.map { try $0.1.get() }
        XCTAssertEqual(Set(rowIDs).count, total, "each job got its own insert's row id")

        let stored = try writer.submitAndWait { db in
            try db.rows("SELECT rowid, value FROM kv") { (Int64($0.int64(0)), $0.text(1) ?? "") }
        }
        let storedByRowID = Dictionary(uniqueKeysWithValues: stored)
        for (index, result) in collected {
            XCTAssertEqual(storedByRowID[try result.get()], "\(index)", "result belongs to job \(index)")
        }

        let stats = writer.stats
        XCTAssertEqual(stats.jobs, total + 2)  // the gate and the read above
        XCTAssertEqual(stats.failedJobs, 0)
        XCTAssertLessThan(stats.commits, stats.jobs, "group commit: many jobs per commit")
        XCTAssertEqual(stats.commits, 3, "the gate, all queued jobs in one group, the read")
        XCTAssertEqual(stats.largestGroupSize, total)
    }

    func testGroupsAreCappedAtMaxGroup() throws {
        let writer = try StoreWriter(path: scratch.path("cap.sqlite"), maxGroup: 10)
        defer { writer.close() }
        let done = DispatchGroup()
        let release = DispatchSemaphore(value: 0)
        submitGate(writer, release: release, done: done)
        for index in 0..<45 {
            done.enter()
            writer.submit({ db in try db.run("INSERT INTO kv (key) VALUES (?)", [.text("k\(index)")]) },
                          completion: { _ in done.leave() })
        }
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        let stats = writer.stats
        XCTAssertEqual(stats.jobs, 46)
        XCTAssertEqual(stats.largestGroupSize, 10)
        XCTAssertEqual(stats.commits, 6, "the gate, then 45 queued jobs in groups of 10, 10, 10, 10, 5")
        XCTAssertEqual(stats.lastGroupSize, 5)
        XCTAssertEqual(try writer.submitAndWait { db in try db.firstRow("SELECT COUNT(*) FROM kv") { $0.int64(0) } }, 45)
    }

    func testAFailingJobIsRolledBackAloneInsideItsGroup() throws {
        let writer = try StoreWriter(path: scratch.path("savepoint.sqlite"))
        defer { writer.close() }
        let done = DispatchGroup()
        let release = DispatchSemaphore(value: 0)
        submitGate(writer, release: release, done: done)
        let results = Collected<(String, Result<Bool, StoreError>)>()
        func submit(_ name: String, _ job: @escaping @Sendable (Database) throws -> Void) {
            done.enter()
            writer.submit({ db in try job(db); return true }, completion: { result in
                results.append((name, result))
                done.leave()
            })
        }
        submit("before") { db in try db.run("INSERT INTO kv (key, value) VALUES ('before', 'x')") }
        submit("throws") { db in
            try db.run("INSERT INTO kv (key, value) VALUES ('throws', 'x')")
            throw JobFailure()
        }
        submit("duplicate") { db in
            try db.run("INSERT INTO kv (key, value) VALUES ('dup-partial', 'x')")
            try db.run("INSERT INTO kv (key, value) VALUES ('before', 'again')")
        }
        submit("after") { db in try db.run("INSERT INTO kv (key, value) VALUES ('after', 'x')") }
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)

        let byName = Dictionary(uniqueKeysWithValues: results.values)
        XCTAssertEqual(try byName["before"]?.get(), true)
        XCTAssertEqual(try byName["after"]?.get(), true)
        XCTAssertThrowsError(try byName["throws"]?.get()) { XCTAssertEqual(($0 as? StoreError)?.code, "job_error") }
        XCTAssertThrowsError(try byName["duplicate"]?.get()) { XCTAssertEqual(($0 as? StoreError)?.code, "constraint") }
        XCTAssertEqual(writer.stats.lastGroupSize, 4, "all four ran in one group")
        XCTAssertEqual(writer.stats.failedJobs, 2)

        let rows = try writer.submitAndWait { db in try db.rows("SELECT key, value FROM kv ORDER BY key") { "\($0.text(0) ?? "")=\($0.text(1) ?? "")" } }
        XCTAssertEqual(rows, ["after=x", "before=x"])
    }

    func testAJobThatEndsTheTransactionFailsItsGroupMatesButNotLaterJobs() throws {
        let writer = try StoreWriter(path: scratch.path("rogue.sqlite"))
        defer { writer.close() }
        let done = DispatchGroup()
        let release = DispatchSemaphore(value: 0)
        submitGate(writer, release: release, done: done)
        let results = Collected<(String, Result<Bool, StoreError>)>()
        for (name, sql) in [("earlier", "INSERT INTO kv (key) VALUES ('earlier')"), ("rogue", "COMMIT"),
                            ("later", "INSERT INTO kv (key) VALUES ('later')")] {
            done.enter()
            writer.submit({ db in try db.execute(sql); return true }, completion: { result in
                results.append((name, result))
                done.leave()
            })
        }
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        let byName = Dictionary(uniqueKeysWithValues: results.values)
        XCTAssertThrowsError(try byName["earlier"]?.get()) { XCTAssertEqual(($0 as? StoreError)?.code, "aborted") }
        XCTAssertThrowsError(try byName["rogue"]?.get()) { XCTAssertEqual(($0 as? StoreError)?.code, "misuse") }
        XCTAssertEqual(try byName["later"]?.get(), true)
        // The writer keeps working afterwards.
        XCTAssertEqual(try writer.submitAndWait { db in try db.firstRow("SELECT COUNT(*) FROM kv WHERE key = 'later'") { $0.int64(0) } }, 1)
    }

    func testSubmitAndWaitOnTheWriterThreadFailsInsteadOfDeadlocking() throws {
        let writer = try StoreWriter(path: scratch.path("reentrant.sqlite"))
        defer { writer.close() }
        XCTAssertThrowsError(try writer.submitAndWait { _ in try writer.submitAndWait { _ in 1 } }) { error in
            XCTAssertEqual((error as? StoreError)?.code, "misuse")
        }
    }

    func testCloseDrainsQueuedJobsThenRefusesNewOnes() throws {
        let writer = try StoreWriter(path: scratch.path("drain.sqlite"))
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        let results = Collected<Result<Int, StoreError>>()
        done.enter()
        writer.submit({ _ in
            release.wait()
            writer.close()  // on the writer thread: stops intake, does not wait for itself
            return -1
        }, completion: { _ in done.leave() })
        for index in 0..<30 {
            done.enter()
            writer.submit({ db in
                try db.run("INSERT INTO kv (key) VALUES (?)", [.text("k\(index)")])
                return index
            }, completion: { result in
                results.append(result)
                done.leave()
            })
        }
        release.signal()
        writer.close()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(try results.values.map { try $0.get() }.sorted(), Array(0..<30))

        let late = Collected<Result<Int, StoreError>>()
        writer.submit({ _ in 1 }, completion: { late.append($0) })
        XCTAssertEqual(late.values.count, 1, "a rejected job completes at once")
        XCTAssertThrowsError(try late.values.first?.get()) { XCTAssertEqual(($0 as? StoreError)?.code, "closed") }
        XCTAssertThrowsError(try writer.submitAndWait { _ in 1 }) { XCTAssertEqual(($0 as? StoreError)?.code, "closed") }
        writer.close()  // idempotent
    }

    func testAFullQueueAnswersOverloaded() throws {
        let writer = try StoreWriter(path: scratch.path("full.sqlite"), maxQueued: 2)
        defer { writer.close() }
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        submitGate(writer, release: release, done: done)  // running, so no longer queued
        let results = Collected<Result<Int, StoreError>>()
        for index in 0..<3 {
            done.enter()
            writer.submit({ _ in index }, completion: { results.append($0); done.leave() })
        }
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        let codes = results.values.map { result -> String in
            if case .failure(let error) = result { return error.code }
            return "ok"
        }
        XCTAssertEqual(codes.filter { $0 == "ok" }.count, 2)
        XCTAssertEqual(codes.filter { $0 == "overloaded" }.count, 1)
    }

    func testDataSurvivesCloseAndReopen() throws {
        let path = scratch.path("durable.sqlite")
        let body: [UInt8] = [0x7b, 0x00, 0xff, 0x7d]
        var writer: StoreWriter? = try StoreWriter(path: path)
        let id = try writer?.submitAndWait { db in
            try SQLiteInbox.append(db, body: body, signature: "sha256=ab", correlationID: "c-1", receivedAtMs: 42)
        }
        writer?.close()
        writer = nil

        let reopened = try StoreWriter(path: path)
        defer { reopened.close() }
        let row = try reopened.submitAndWait { db in
            (try SQLiteInbox.row(db, id: id ?? -1), try Migrations.version(of: db))
        }
        XCTAssertEqual(row.0?.body, body)
        XCTAssertEqual(row.0?.signature, "sha256=ab")
        XCTAssertEqual(row.0?.correlationID, "c-1")
        XCTAssertEqual(row.1, Migrations.latestVersion)
    }
}
