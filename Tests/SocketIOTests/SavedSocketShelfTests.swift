import Hub
import XCTest
@testable import SocketIO

final class SavedSocketShelfTests: XCTestCase {
    private func socket(_ pid: String) -> SavedSocket {
        SavedSocket(sid: "s-" + pid, pid: pid, patterns: [TopicPattern("inbox")!], trail: DeliveryTrail())
    }

    func testTakenOnceWithinTheWindow() {
        var shelf = SavedSocketShelf()
        shelf.insert(socket("a"), nowMs: 1000, ttlMs: 120_000, max: 10)
        XCTAssertEqual(shelf.take("a", nowMs: 121_000, ttlMs: 120_000)?.sid, "s-a")
        XCTAssertNil(shelf.take("a", nowMs: 121_000, ttlMs: 120_000))
        XCTAssertNil(shelf.take("nope", nowMs: 0, ttlMs: 120_000))
    }

    func testExpiredIsNotRestoredAndIsSweptByLaterInserts() {
        var shelf = SavedSocketShelf()
        shelf.insert(socket("a"), nowMs: 0, ttlMs: 100, max: 10)
        shelf.insert(socket("b"), nowMs: 50, ttlMs: 100, max: 10)
        XCTAssertEqual(shelf.count, 2)
        shelf.insert(socket("c"), nowMs: 101, ttlMs: 100, max: 10)
        XCTAssertEqual(shelf.count, 2)  // a expired
        XCTAssertNil(shelf.take("b", nowMs: 151, ttlMs: 100))
    }

    func testBoundedOldestFirst() {
        var shelf = SavedSocketShelf()
        for (i, pid) in ["a", "b", "c", "d"].enumerated() {
            shelf.insert(socket(pid), nowMs: Int64(i), ttlMs: 1000, max: 3)
        }
        XCTAssertEqual(shelf.count, 3)
        XCTAssertNil(shelf.take("a", nowMs: 5, ttlMs: 1000))
        XCTAssertNotNil(shelf.take("d", nowMs: 5, ttlMs: 1000))
    }
}
