import XCTest
@testable import Reactor

final class TimerHeapTests: XCTestCase {
    func testPopsDueTimersInDeadlineOrder() {
        var heap = TimerHeap()
        var fired: [Int] = []
        for (i, d) in [50, 10, 40, 20, 30].enumerated() {
            _ = heap.schedule(deadline: UInt64(d)) { fired.append(i) }
        }
        XCTAssertEqual(heap.nextDeadline(), 10)
        for cb in heap.popDue(now: 35) { cb() }
        XCTAssertEqual(fired, [1, 3, 4])
        XCTAssertEqual(heap.nextDeadline(), 40)
    }

    func testCancelledTimersNeverFire() {
        var heap = TimerHeap()
        var fired = 0
        let a = heap.schedule(deadline: 5) { fired += 1 }
        _ = heap.schedule(deadline: 6) { fired += 10 }
        heap.cancel(a)
        XCTAssertEqual(heap.nextDeadline(), 6)
        for cb in heap.popDue(now: 100) { cb() }
        XCTAssertEqual(fired, 10)
        XCTAssertTrue(heap.isEmpty)
        XCTAssertNil(heap.nextDeadline())
    }

    func testManyCancellationsStayBounded() {
        var heap = TimerHeap()
        for i in 0..<10_000 {
            let id = heap.schedule(deadline: UInt64(i)) {}
            heap.cancel(id)
        }
        XCTAssertTrue(heap.isEmpty)
        XCTAssertNil(heap.nextDeadline())
    }
}
