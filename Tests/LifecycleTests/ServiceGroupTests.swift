import Dispatch
import Synchronization
import XCTest
@testable import Lifecycle

final class ServiceGroupTests: XCTestCase {
    struct Boom: Error {}

    final class Journal: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ s: String) { lines.withLock { $0.append(s) } }
        var all: [String] { lines.withLock { $0 } }
    }

    func service(_ name: String, _ journal: Journal, failing: Bool = false) -> ClosureService {
        ClosureService(name, start: {
            journal.add("start \(name)")
            if failing { throw Boom() }
        }, stop: { journal.add("stop \(name)") })
    }

    func testStartsInOrderAndStopsInReverse() throws {
        let j = Journal()
        let g = ServiceGroup()
        for n in ["reactor", "store", "inbox", "listener"] { g.add(service(n, j)) }
        try g.startAll()
        g.stopAll()
        XCTAssertEqual(j.all, ["start reactor", "start store", "start inbox", "start listener",
                               "stop listener", "stop inbox", "stop store", "stop reactor"])
        XCTAssertEqual(g.names, ["reactor", "store", "inbox", "listener"])
    }

    func testFailedStartStopsWhatStartedInReverseAndRethrows() {
        let j = Journal()
        let g = ServiceGroup()
        g.add(service("a", j))
        g.add(service("b", j))
        g.add(service("c", j, failing: true))
        g.add(service("d", j))
        XCTAssertThrowsError(try g.startAll()) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(j.all, ["start a", "start b", "start c", "stop b", "stop a"])
        g.stopAll()  // nothing left to stop: no second stop of a or b
        XCTAssertEqual(j.all.count, 5)
    }

    func testStopAllTwiceStopsOnce() throws {
        let j = Journal()
        let g = ServiceGroup()
        g.add(service("only", j))
        try g.startAll()
        g.stopAll()
        g.stopAll()
        XCTAssertEqual(j.all, ["start only", "stop only"])
    }
}

final class WorkerThreadTests: XCTestCase {
    /// A wake that arrives before the worker sleeps is kept, so the next sleep returns at once
    /// (no lost wake-up, no waiting for a timeout). The test uses untimed sleeps only: if a wake
    /// were lost, the worker would never run its second round and `stop` would time out.
    func testWakeIsNotLostAndStopJoins() {
        let rounds = Mutex<Int>(0)
        let roundDone = DispatchSemaphore(value: 0)
        let w = WorkerThread(name: "test-worker")
        w.wake()  // before the thread even starts
        w.start { w in
            while w.sleep(seconds: nil) {
                rounds.withLock { $0 += 1 }
                roundDone.signal()
            }
        }
        XCTAssertEqual(roundDone.wait(timeout: .now() + 30), .success, "the early wake was lost")
        w.wake()
        XCTAssertEqual(roundDone.wait(timeout: .now() + 30), .success, "the second wake was lost")
        XCTAssertEqual(rounds.withLock { $0 }, 2)
        XCTAssertTrue(w.stop(timeoutSeconds: 30), "worker thread did not exit")
        XCTAssertTrue(w.isStopping)
        XCTAssertFalse(w.sleep(seconds: nil), "sleep after stop must say stop")
    }

    func testStopWithoutStartReturnsAtOnce() {
        XCTAssertTrue(WorkerThread(name: "never-started").stop(timeoutSeconds: 0))
    }
}
