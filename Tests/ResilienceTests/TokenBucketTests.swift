// Token bucket refill, burst and waits; the phone-number throughput governor built on it.

import XCTest

@testable import Resilience

final class TokenBucketTests: XCTestCase {
    private let second = TimeSpan.nanosecondsPerSecond
    private let start = Instant(nanosecondsSinceOrigin: 5_000_000_000)

    func testBurstThenRefillAtTheRate() {
        var bucket = TokenBucket(ratePerSecond: 80, burst: 80, now: start)
        for index in 0..<80 { XCTAssertTrue(bucket.tryTake(now: start), "take \(index)") }
        XCTAssertFalse(bucket.tryTake(now: start))
        XCTAssertEqual(bucket.timeUntilAvailable(now: start), 12_500_000)  // 1/80 s
        let later = start.adding(nanoseconds: 12_500_000)
        XCTAssertEqual(bucket.timeUntilAvailable(now: later), 0)
        XCTAssertTrue(bucket.tryTake(now: later))
        XCTAssertFalse(bucket.tryTake(now: later))
        // One second refills 80, never more than the burst.
        let muchLater = later.adding(nanoseconds: 10 * second)
        XCTAssertEqual(bucket.available(now: muchLater), 80, accuracy: 1e-9)
        for _ in 0..<80 { XCTAssertTrue(bucket.tryTake(now: muchLater)) }
        XCTAssertFalse(bucket.tryTake(now: muchLater))
    }

    func testTimeUntilAvailableIsEnough() {
        var bucket = TokenBucket(ratePerSecond: 3, burst: 1, now: start)
        XCTAssertTrue(bucket.tryTake(now: start))
        let wait = bucket.timeUntilAvailable(now: start)
        XCTAssertEqual(Double(wait), Double(second) / 3, accuracy: 2)
        XCTAssertFalse(bucket.tryTake(now: start.adding(nanoseconds: wait - 1000)))
        XCTAssertTrue(bucket.tryTake(now: start.adding(nanoseconds: wait)))
    }

    func testFractionalTokensAccumulate() {
        var bucket = TokenBucket(ratePerSecond: 2, burst: 1, now: start)
        XCTAssertTrue(bucket.tryTake(now: start))
        var now = start
        for _ in 0..<4 {
            now = now.adding(nanoseconds: 100_000_000)
            XCTAssertFalse(bucket.tryTake(now: now))
        }
        now = now.adding(nanoseconds: 100_000_000)  // 0.5 s in total
        XCTAssertTrue(bucket.tryTake(now: now))
    }

    func testSetRateKeepsTokensEarnedAtTheOldRate() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 10, now: start)
        for _ in 0..<10 { _ = bucket.tryTake(now: start) }
        let half = start.adding(nanoseconds: second / 2)
        bucket.setRate(1, now: half)  // 5 tokens earned so far
        XCTAssertEqual(bucket.available(now: half), 5, accuracy: 1e-9)
        XCTAssertEqual(bucket.available(now: half.adding(nanoseconds: second)), 6, accuracy: 1e-9)
        XCTAssertEqual(bucket.ratePerSecond, 1)
    }

    func testInvalidParametersHaveDefinedBehaviour() {
        var frozen = TokenBucket(ratePerSecond: .nan, burst: -3, now: start)
        XCTAssertEqual(frozen.ratePerSecond, 0)
        XCTAssertEqual(frozen.burst, 1)
        XCTAssertTrue(frozen.tryTake(now: start))
        XCTAssertFalse(frozen.tryTake(now: start.adding(nanoseconds: 1000 * second)))
        XCTAssertEqual(frozen.timeUntilAvailable(now: start), .max)
        var bucket = TokenBucket(ratePerSecond: .infinity, burst: .infinity, now: start)
        XCTAssertEqual(bucket.ratePerSecond, 0)
        XCTAssertFalse(bucket.tryTake(now: start, count: .nan))
        XCTAssertFalse(bucket.tryTake(now: start, count: -1))
    }

    func testAClockGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 1, now: start)
        XCTAssertTrue(bucket.tryTake(now: start))
        XCTAssertFalse(bucket.tryTake(now: Instant.zero))
        XCTAssertFalse(bucket.tryTake(now: start.adding(nanoseconds: second / 2)))
        XCTAssertTrue(bucket.tryTake(now: start.adding(nanoseconds: second)))
    }

    func testReservationsAreSpacedByTheRate() {
        var bucket = TokenBucket(ratePerSecond: 2, burst: 2, now: start)
        let waits = (0..<5).map { _ in bucket.reserve(now: start) }
        XCTAssertEqual(waits, [0, 0, second / 2, second, 3 * second / 2])
    }

    func testGovernorHalvesOnThrottleAndRecovers() {
        var governor = ThroughputGovernor(nominalRate: 80, burst: 1, now: start)
        XCTAssertEqual(governor.currentRate, 80)
        XCTAssertEqual(governor.recordThrottled(now: start), second)
        XCTAssertEqual(governor.currentRate, 40)
        XCTAssertFalse(governor.tryTake(now: start.adding(nanoseconds: second / 2)), "paused")
        XCTAssertEqual(governor.timeUntilAvailable(now: start), second)
        governor.recordThrottled(now: start)
        XCTAssertEqual(governor.currentRate, 20)
        for _ in 0..<10 { governor.recordThrottled(now: start) }
        XCTAssertEqual(governor.currentRate, 1, "floor at the minimum rate")

        let resumed = start.adding(nanoseconds: second)
        XCTAssertTrue(governor.tryTake(now: resumed))
        // Every 10 s without throttling doubles the rate back towards 80.
        _ = governor.tryTake(now: start.adding(nanoseconds: 10 * second))
        XCTAssertEqual(governor.currentRate, 2)
        _ = governor.tryTake(now: start.adding(nanoseconds: 35 * second))
        XCTAssertEqual(governor.currentRate, 8)
        _ = governor.tryTake(now: start.adding(nanoseconds: 1000 * second))
        XCTAssertEqual(governor.currentRate, 80)
    }
}
