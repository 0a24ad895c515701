import XCTest
import Glibc
import Synchronization
@testable import Reactor

/// The loop's cross-thread inbox: its backlog is visible to producers (`pendingTasks`), a
/// shedding producer is refused at its limit (`tryExecute`), and the loop-thread marker is
/// thread-local.
final class InboxTests: OneLoopTestCase {
    func testBacklogIsCountedAndTheLimitRefusesSheddableWork() {
        let loop = self.loop
        let release = Mutex<Bool>(false)
        let started = expectation(description: "blocking task started")
        // Hold the loop inside one task so that the following ones stay queued.
        loop.execute {
            started.fulfill()
            while !release.withLock({ $0 }) { usleep(1000) }
        }
        wait(for: [started], timeout: 5)
        let ran = Mutex<Int>(0)
        for _ in 0..<3 { loop.execute { ran.withLock { $0 += 1 } } }
        // The running task counts until its turn's batch is done.
        XCTAssertEqual(loop.pendingTasks, 4)
        XCTAssertFalse(loop.tryExecute(limit: 4) { ran.withLock { $0 += 100 } })
        XCTAssertTrue(loop.tryExecute(limit: 5) { ran.withLock { $0 += 1 } })
        XCTAssertEqual(loop.pendingTasks, 5)

        release.withLock { $0 = true }
        let drained = expectation(description: "drained")
        loop.execute { drained.fulfill() }
        wait(for: [drained], timeout: 5)
        XCTAssertEqual(ran.withLock { $0 }, 4)
        // The count drops after the drained task's batch; give the loop a moment to get there.
        var polls = 0
        while loop.pendingTasks > 0 && polls < 1000 { usleep(1000); polls += 1 }
        XCTAssertEqual(loop.pendingTasks, 0)
    }

    func testLoopThreadMarkerIsPerThread() {
        let loop = self.loop
        XCTAssertFalse(loop.inEventLoop)
        XCTAssertFalse(EventLoop.onAnyLoopThread)
        let seen = Mutex<(Bool, Bool)>((false, false))
        let done = expectation(description: "on loop")
        loop.execute {
            seen.withLock { $0 = (loop.inEventLoop, EventLoop.onAnyLoopThread) }
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        XCTAssertTrue(seen.withLock { $0.0 && $0.1 })
    }
}
