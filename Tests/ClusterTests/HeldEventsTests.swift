import XCTest
import Hub
@testable import Cluster

final class HeldEventsTests: XCTestCase {
    private func events(_ names: [String]) -> [OutgoingEvent] {
        names.map { OutgoingEvent(topic: "inbox", type: $0, data: Array("{}".utf8)) }
    }

    private func ids() -> () -> String {
        var n = 0
        return { n += 1; return "b\(n)" }
    }

    func testOneBatchInFlightAtATimeInPublishOrder() {
        var held = HeldEvents()
        let newID = ids()
        held.append(events(["a", "b", "c"]))
        let first = held.next(maxBatch: 2, newID: newID)
        XCTAssertEqual(first?.id, "b1")
        XCTAssertEqual(first?.events.map(\.type), ["a", "b"])
        XCTAssertNil(held.next(maxBatch: 2, newID: newID), "nothing else while a batch is in flight")
        held.succeeded()
        let second = held.next(maxBatch: 2, newID: newID)
        XCTAssertEqual(second?.id, "b2")
        XCTAssertEqual(second?.events.map(\.type), ["c"])
        held.succeeded()
        XCTAssertNil(held.next(maxBatch: 2, newID: newID))
        XCTAssertTrue(held.isEmpty)
    }

    /// The regression behind duplicates after a Redis drop: a failed batch may have run in
    /// Redis, so it must go out again exactly as it was, under the same id (which the publish
    /// script recognises), even when newer events arrived meanwhile.
    func testAFailedBatchIsResentUnchangedUnderItsIDBeforeNewerEvents() {
        var held = HeldEvents()
        let newID = ids()
        held.append(events(["a", "b"]))
        XCTAssertEqual(held.next(maxBatch: 3, newID: newID)?.id, "b1")
        held.append(events(["c", "d"]))
        held.failed()
        XCTAssertEqual(held.count, 4)
        let again = held.next(maxBatch: 3, newID: newID)
        XCTAssertEqual(again?.id, "b1")
        XCTAssertEqual(again?.events.map(\.type), ["a", "b"], "not regrouped with newer events")
        held.failed()
        XCTAssertEqual(held.next(maxBatch: 3, newID: newID)?.id, "b1", "still the same id after a second failure")
        held.succeeded()
        let newer = held.next(maxBatch: 3, newID: newID)
        XCTAssertEqual(newer?.id, "b2")
        XCTAssertEqual(newer?.events.map(\.type), ["c", "d"])
    }

    func testFailureWithNothingInFlightChangesNothing() {
        var held = HeldEvents()
        held.failed()
        XCTAssertTrue(held.isEmpty)
        XCTAssertNil(held.next(maxBatch: 1, newID: ids()))
    }
}
