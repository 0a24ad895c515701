import XCTest
@testable import Hub

/// Admission reads the backlog of subscribers that are still reading: a stalled one is a slow
/// consumer, not a sign of overload.
final class BacklogGaugeTests: XCTestCase {
    typealias Sample = BacklogGauge<Int>.Sample

    func testQueuedBytesOfReadingSubscribersCount() {
        var gauge = BacklogGauge<Int>(stallMs: 1000, behindBytes: 400)
        let r = gauge.sweep(nowMs: 0, [Sample(key: 1, queued: 500, written: 0), Sample(key: 2, queued: 0, written: 0)])
        XCTAssertEqual(r, BacklogReading(queuedBytes: 500, readingSubscribers: 2, behindSubscribers: 1, stalledSubscribers: 0))
    }

    func testASubscriberWhoseQueueDoesNotMoveIsLeftOutAfterTheStallTime() {
        var gauge = BacklogGauge<Int>(stallMs: 1000, behindBytes: 400)
        _ = gauge.sweep(nowMs: 0, [Sample(key: 1, queued: 500, written: 10), Sample(key: 2, queued: 300, written: 10)])
        // Subscriber 2 keeps writing; subscriber 1 does not.
        var r = gauge.sweep(nowMs: 999, [Sample(key: 1, queued: 900, written: 10), Sample(key: 2, queued: 300, written: 20)])
        XCTAssertEqual(r.queuedBytes, 1200, "not stalled yet")
        r = gauge.sweep(nowMs: 1000, [Sample(key: 1, queued: 900, written: 10), Sample(key: 2, queued: 300, written: 30)])
        XCTAssertEqual(r, BacklogReading(queuedBytes: 300, readingSubscribers: 1, behindSubscribers: 0, stalledSubscribers: 1))
        // It reads again: it counts again.
        r = gauge.sweep(nowMs: 1005, [Sample(key: 1, queued: 800, written: 110), Sample(key: 2, queued: 300, written: 30)])
        XCTAssertEqual(r.queuedBytes, 1100)
    }

    func testAnEmptyQueueIsNeverStalled() {
        var gauge = BacklogGauge<Int>(stallMs: 10, behindBytes: 400)
        _ = gauge.sweep(nowMs: 0, [Sample(key: 1, queued: 0, written: 0)])
        let r = gauge.sweep(nowMs: 10_000, [Sample(key: 1, queued: 0, written: 0)])
        XCTAssertEqual(r.stalledSubscribers, 0)
        // A frame just queued after a long quiet time starts a fresh stall clock.
        XCTAssertEqual(gauge.sweep(nowMs: 10_001, [Sample(key: 1, queued: 70, written: 0)]).queuedBytes, 70)
    }

    func testSubscribersMissingFromASweepAreForgotten() {
        var gauge = BacklogGauge<Int>(stallMs: 1000, behindBytes: 400)
        _ = gauge.sweep(nowMs: 0, [Sample(key: 1, queued: 5, written: 0)])
        _ = gauge.sweep(nowMs: 10, [])
        // Back after being forgotten: its stall clock restarts.
        XCTAssertEqual(gauge.sweep(nowMs: 5000, [Sample(key: 1, queued: 5, written: 0)]).stalledSubscribers, 0)
    }

    func testOverloadOnTheTotalOrWhenMostReadersAreBehind() {
        let policy = AdmissionPolicy(maxBacklogBytes: 1000, maxConnectionBuffer: 800)
        XCTAssertEqual(policy.behindBytes, 100)
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 1000, readingSubscribers: 100, behindSubscribers: 0, stalledSubscribers: 0))
        XCTAssertTrue(policy.isOverloaded(backlogBytes: 1001, readingSubscribers: 100, behindSubscribers: 0, stalledSubscribers: 0))
        // Few subscribers, all behind: publishers outrun them.
        XCTAssertTrue(policy.isOverloaded(backlogBytes: 202, readingSubscribers: 2, behindSubscribers: 2, stalledSubscribers: 0))
        XCTAssertTrue(policy.isOverloaded(backlogBytes: 101, readingSubscribers: 1, behindSubscribers: 1, stalledSubscribers: 0))
        // One of two behind: a slow consumer (it gets 4008 at its bound), not overload.
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 300, readingSubscribers: 2, behindSubscribers: 1, stalledSubscribers: 0))
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 0, behindSubscribers: 0, stalledSubscribers: 0))
        // A large audience: more than 2 % behind.
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 1000, behindSubscribers: 20, stalledSubscribers: 0))
        XCTAssertTrue(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 1000, behindSubscribers: 21, stalledSubscribers: 0))
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 49, behindSubscribers: 20, stalledSubscribers: 0))
        // Crossings seen while queuing count early, for a large audience only.
        XCTAssertTrue(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 1000, behindSubscribers: 10, stalledSubscribers: 0,
                                          crossedSinceMeasured: 11))
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 2, behindSubscribers: 0, stalledSubscribers: 0,
                                           crossedSinceMeasured: 2))
        // A few stalled among readers: slow consumers. Most not moving: everyone waits on the same
        // saturated readers, which is overload (the stall clock alone cannot tell them apart).
        XCTAssertFalse(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 10, behindSubscribers: 0, stalledSubscribers: 3))
        XCTAssertTrue(policy.isOverloaded(backlogBytes: 0, readingSubscribers: 3, behindSubscribers: 0, stalledSubscribers: 10))
    }
}
