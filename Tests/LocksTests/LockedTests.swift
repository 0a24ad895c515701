import Dispatch
import XCTest
@testable import Locks

final class LockedTests: XCTestCase {
    /// Many threads incrementing through the lock lose no update (a lock that did not exclude
    /// would lose some of 8 x 20,000 read-modify-writes).
    func testExcludesConcurrentWriters() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20_000 { counter.withLock { $0 += 1 } }
        }
        XCTAssertEqual(counter.withLock { $0 }, 160_000)
    }

    func testReturnsAndRethrows() {
        struct Oops: Error {}
        let box = Locked([1, 2])
        XCTAssertEqual(box.withLock { $0.count }, 2)
        XCTAssertThrowsError(try box.withLock { _ in throw Oops() })
        box.withLock { $0.append(3) }  // still usable after a throw: the lock was released
        XCTAssertEqual(box.withLock { $0 }, [1, 2, 3])
    }
}
