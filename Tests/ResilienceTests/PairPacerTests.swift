// Per-recipient pacing: order of slots, independence of recipients, 4^n blocking, eviction.

import XCTest

@testable import Resilience

final class PairPacerTests: XCTestCase {
    private let second = TimeSpan.nanosecondsPerSecond
    private let start = Instant(nanosecondsSinceOrigin: 1_000_000_000_000)

    func testSlotsForOneRecipientAreOrderedAndSpaced() {
        var pacer = PairPacer()
        let slots = (0..<5).map { _ in pacer.nextAllowed(recipient: "4915112345678", now: start) }
        XCTAssertEqual(slots, [
            start, start, start.adding(nanoseconds: 6 * second), start.adding(nanoseconds: 12 * second),
            start.adding(nanoseconds: 18 * second),
        ])
        XCTAssertEqual(slots, slots.sorted())
    }

    func testRecipientsAreIndependent() {
        var pacer = PairPacer()
        XCTAssertTrue(pacer.tryTake(recipient: "a", now: start))
        XCTAssertTrue(pacer.tryTake(recipient: "a", now: start))
        XCTAssertFalse(pacer.tryTake(recipient: "a", now: start))
        XCTAssertTrue(pacer.tryTake(recipient: "b", now: start))
        XCTAssertEqual(pacer.nextAllowed(recipient: "c", now: start), start)
        XCTAssertFalse(pacer.tryTake(recipient: "a", now: start.adding(nanoseconds: 5 * second)))
        XCTAssertTrue(pacer.tryTake(recipient: "a", now: start.adding(nanoseconds: 6 * second)))
    }

    func testPairRateLimitBlocksTheRecipientForFourToTheN() {
        var pacer = PairPacer()
        XCTAssertEqual(pacer.recordPairRateLimit(recipient: "a", now: start), 1 * second)
        XCTAssertEqual(pacer.recordPairRateLimit(recipient: "a", now: start), 4 * second)
        XCTAssertEqual(pacer.consecutiveRateLimits(recipient: "a"), 2)
        let blocked = pacer.recordPairRateLimit(recipient: "a", now: start)
        XCTAssertEqual(blocked, 16 * second)
        XCTAssertFalse(pacer.tryTake(recipient: "a", now: start.adding(nanoseconds: 15 * second)))
        XCTAssertTrue(pacer.tryTake(recipient: "b", now: start), "others are not blocked")
        XCTAssertGreaterThanOrEqual(pacer.nextAllowed(recipient: "a", now: start), start.adding(nanoseconds: 16 * second))

        pacer.recordAccepted(recipient: "a")
        XCTAssertEqual(pacer.consecutiveRateLimits(recipient: "a"), 0)
        XCTAssertEqual(pacer.recordPairRateLimit(recipient: "a", now: start.adding(nanoseconds: 40 * second)), 1 * second)
    }

    func testIdleRecipientsAreEvicted() {
        var pacer = PairPacer(idleHorizon: 60 * second)
        for index in 0..<100 { _ = pacer.tryTake(recipient: "r\(index)", now: start) }
        _ = pacer.recordPairRateLimit(recipient: "blocked", now: start)
        _ = pacer.recordPairRateLimit(recipient: "blocked", now: start)
        _ = pacer.recordPairRateLimit(recipient: "blocked", now: start)
        _ = pacer.recordPairRateLimit(recipient: "blocked", now: start)  // 64 s block
        XCTAssertEqual(pacer.trackedRecipients, 101)

        pacer.evictIdle(now: start.adding(nanoseconds: 30 * second))
        XCTAssertEqual(pacer.trackedRecipients, 101, "not idle long enough")
        pacer.evictIdle(now: start.adding(nanoseconds: 61 * second))
        XCTAssertEqual(pacer.trackedRecipients, 1, "the blocked recipient is kept")
        XCTAssertEqual(pacer.consecutiveRateLimits(recipient: "blocked"), 4)

        // A new recipient after the horizon triggers the sweep by itself.
        _ = pacer.tryTake(recipient: "new", now: start.adding(nanoseconds: 200 * second))
        XCTAssertEqual(pacer.trackedRecipients, 1)
    }

    func testMemoryStaysBoundedUnderManyActiveRecipients() {
        var pacer = PairPacer(maxRecipients: 50)
        var now = start
        for index in 0..<1000 {
            now = now.adding(nanoseconds: 1000)
            _ = pacer.nextAllowed(recipient: "r\(index)", now: now)
            XCTAssertLessThanOrEqual(pacer.trackedRecipients, 50)
        }
        // The most recent recipients are the ones remembered.
        XCTAssertEqual(pacer.nextAllowed(recipient: "r999", now: now), now)
        XCTAssertEqual(pacer.nextAllowed(recipient: "r999", now: now), now.adding(nanoseconds: 6 * second))
    }

    func testConfiguredInterval() {
        var pacer = PairPacer(interval: 1000 * TimeSpan.nanosecondsPerMillisecond, burst: 1)
        XCTAssertEqual(pacer.nextAllowed(recipient: "a", now: start), start)
        XCTAssertEqual(pacer.nextAllowed(recipient: "a", now: start), start.adding(nanoseconds: second))
    }
}
