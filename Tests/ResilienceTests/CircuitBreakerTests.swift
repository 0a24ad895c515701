// Breaker transitions driven by a ManualClock: trips, growth, the single probe, the ratio trigger.

import XCTest

@testable import Resilience

final class CircuitBreakerTests: XCTestCase {
    private let second = TimeSpan.nanosecondsPerSecond

    private func failTimes(_ count: Int, _ breaker: inout CircuitBreaker, clock: ManualClock) -> [BreakerTransition] {
        var transitions: [BreakerTransition] = []
        for _ in 0..<count {
            if let transition = breaker.recordFailure(now: clock.now) { transitions.append(transition) }
        }
        return transitions
    }

    func testFullCycleWithGrowingOpenDuration() {
        let clock = ManualClock(start: Instant(nanosecondsSinceOrigin: 1_000 * second))
        var breaker = CircuitBreaker()
        XCTAssertEqual(breaker.stateName, "closed")
        XCTAssertEqual(breaker.gaugeValue, 0)

        // Four failures: still closed; the fifth trips it.
        XCTAssertTrue(failTimes(4, &breaker, clock: clock).isEmpty)
        XCTAssertEqual(breaker.consecutiveFailures, 4)
        let trip = breaker.recordFailure(now: clock.now)
        XCTAssertEqual(trip?.from, .closed)
        XCTAssertEqual(trip?.to, .open)
        XCTAssertEqual(trip?.reason, .consecutiveFailures)
        XCTAssertEqual(trip?.tripCount, 1)
        XCTAssertEqual(breaker.state, .open)
        XCTAssertEqual(breaker.stateName, "open")
        XCTAssertEqual(breaker.gaugeValue, 2)
        XCTAssertEqual(breaker.openUntil, clock.now.adding(nanoseconds: 30 * second))
        XCTAssertEqual(trip?.openUntil, breaker.openUntil)

        // Open: nothing goes out until the 30 s have passed.
        clock.advance(seconds: 29.9)
        XCTAssertFalse(breaker.allowRequest(now: clock.now).allowed)
        XCTAssertGreaterThan(breaker.timeUntilAllowed(now: clock.now), 0)
        clock.advance(seconds: 0.1)
        let probe = breaker.allowRequest(now: clock.now)
        XCTAssertTrue(probe.allowed)
        XCTAssertEqual(probe.transition?.to, .halfOpen)
        XCTAssertEqual(probe.transition?.reason, .openElapsed)
        XCTAssertEqual(breaker.stateName, "half_open")
        XCTAssertEqual(breaker.gaugeValue, 1)

        // Probe fails: open again for 60 s.
        let reopen = breaker.recordFailure(now: clock.now)
        XCTAssertEqual(reopen?.from, .halfOpen)
        XCTAssertEqual(reopen?.to, .open)
        XCTAssertEqual(reopen?.reason, .probeFailed)
        XCTAssertEqual(breaker.tripCount, 2)
        XCTAssertEqual(breaker.openUntil, clock.now.adding(nanoseconds: 60 * second))

        clock.advance(seconds: 59)
        XCTAssertFalse(breaker.allowRequest(now: clock.now).allowed)
        clock.advance(seconds: 1)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)

        // Probe succeeds: closed, trip count reset.
        let close = breaker.recordSuccess(now: clock.now)
        XCTAssertEqual(close?.from, .halfOpen)
        XCTAssertEqual(close?.to, .closed)
        XCTAssertEqual(close?.reason, .probeSucceeded)
        XCTAssertEqual(close?.tripCount, 0)
        XCTAssertEqual(breaker.state, .closed)
        XCTAssertNil(breaker.openUntil)
        XCTAssertEqual(breaker.consecutiveFailures, 0)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)

        // The next trip starts again from the base duration.
        _ = failTimes(5, &breaker, clock: clock)
        XCTAssertEqual(breaker.openUntil, clock.now.adding(nanoseconds: 30 * second))
    }

    func testOpenDurationDoublesUpToTheCap() {
        let breaker = CircuitBreaker()
        XCTAssertEqual(breaker.openDuration(forTrip: 1), 30 * second)
        XCTAssertEqual(breaker.openDuration(forTrip: 2), 60 * second)
        XCTAssertEqual(breaker.openDuration(forTrip: 5), 480 * second)
        XCTAssertEqual(breaker.openDuration(forTrip: 6), 600 * second)
        XCTAssertEqual(breaker.openDuration(forTrip: Int.max), 600 * second)

        let clock = ManualClock()
        var repeated = CircuitBreaker()
        _ = failTimes(5, &repeated, clock: clock)
        for trip in 2...8 {
            clock.advance(by: repeated.timeUntilAllowed(now: clock.now))
            XCTAssertTrue(repeated.allowRequest(now: clock.now).allowed)
            _ = repeated.recordFailure(now: clock.now)
            XCTAssertEqual(repeated.tripCount, trip)
            XCTAssertEqual(repeated.openUntil, clock.now.adding(nanoseconds: repeated.openDuration(forTrip: trip)))
        }
        XCTAssertEqual(repeated.openUntil, clock.now.adding(nanoseconds: 600 * second))
    }

    func testHalfOpenAllowsExactlyOneProbe() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        _ = failTimes(5, &breaker, clock: clock)
        clock.advance(seconds: 30)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)
        for _ in 0..<10 {
            let again = breaker.allowRequest(now: clock.now)
            XCTAssertFalse(again.allowed)
            XCTAssertNil(again.transition)
        }
        clock.advance(seconds: 60)
        XCTAssertFalse(breaker.allowRequest(now: clock.now).allowed, "probe still in flight")
        _ = breaker.recordSuccess(now: clock.now)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)
    }

    func testALostProbeIsReplacedAfterTheProbeTimeout() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        _ = failTimes(5, &breaker, clock: clock)
        clock.advance(seconds: 30)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)
        clock.advance(seconds: 119)
        XCTAssertFalse(breaker.allowRequest(now: clock.now).allowed)
        clock.advance(seconds: 1)
        XCTAssertTrue(breaker.allowRequest(now: clock.now).allowed)
        XCTAssertFalse(breaker.allowRequest(now: clock.now).allowed)
    }

    func testSuccessResetsTheConsecutiveCount() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        _ = failTimes(4, &breaker, clock: clock)
        XCTAssertNil(breaker.recordSuccess(now: clock.now))
        XCTAssertTrue(failTimes(4, &breaker, clock: clock).isEmpty)
        XCTAssertEqual(breaker.state, .closed)
    }

    func testPermanentFailuresCountAsReachable() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        for _ in 0..<4 { _ = breaker.record(.transient, now: clock.now) }
        XCTAssertNil(breaker.record(.permanent, now: clock.now))
        XCTAssertEqual(breaker.consecutiveFailures, 0)
        for _ in 0..<50 { XCTAssertNil(breaker.record(.permanent, now: clock.now)) }
        XCTAssertEqual(breaker.state, .closed)
        XCTAssertNil(breaker.record(nil, now: clock.now))
        for _ in 0..<4 { _ = breaker.record(.transient, now: clock.now) }
        XCTAssertEqual(breaker.record(.transient, now: clock.now)?.to, .open)
    }

    func testFailureRatioTripsWithoutAConsecutiveRun() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        // Alternate success/failure: never 5 in a row, but a 50% failure ratio.
        var transitions: [BreakerTransition] = []
        for index in 0..<20 {
            clock.advance(seconds: 0.5)
            let transition = index.isMultiple(of: 2) ? breaker.recordSuccess(now: clock.now) : breaker.recordFailure(now: clock.now)
            if let transition { transitions.append(transition) }
            if index < 19 { XCTAssertTrue(transitions.isEmpty, "tripped early at call \(index + 1)") }
        }
        XCTAssertEqual(transitions.count, 1)
        XCTAssertEqual(transitions.first?.reason, .failureRatio)
        XCTAssertEqual(breaker.state, .open)
    }

    func testRatioNeedsTheMinimumCallCountAndForgetsOldCalls() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        // 19 calls at 50%+: below the minimum of 20, stays closed.
        for index in 0..<19 {
            _ = index.isMultiple(of: 2) ? breaker.recordFailure(now: clock.now) : breaker.recordSuccess(now: clock.now)
        }
        XCTAssertEqual(breaker.state, .closed)
        // After the window has passed, those calls no longer count.
        clock.advance(seconds: 31)
        for index in 0..<19 {
            _ = index.isMultiple(of: 3) ? breaker.recordFailure(now: clock.now) : breaker.recordSuccess(now: clock.now)
        }
        XCTAssertEqual(breaker.state, .closed)
        // A low failure ratio over many calls never trips.
        for index in 0..<200 {
            clock.advance(seconds: 0.1)
            _ = index.isMultiple(of: 3) ? breaker.recordFailure(now: clock.now) : breaker.recordSuccess(now: clock.now)
        }
        XCTAssertEqual(breaker.state, .closed)
    }

    func testResultsWhileOpenAreIgnored() {
        let clock = ManualClock()
        var breaker = CircuitBreaker()
        _ = failTimes(5, &breaker, clock: clock)
        let until = breaker.openUntil
        XCTAssertNil(breaker.recordSuccess(now: clock.now))
        XCTAssertNil(breaker.recordFailure(now: clock.now))
        XCTAssertEqual(breaker.state, .open)
        XCTAssertEqual(breaker.openUntil, until)
    }

    func testConfiguredThresholds() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: CircuitBreakerConfiguration(consecutiveFailureThreshold: 2, openDuration: 5 * second))
        XCTAssertNil(breaker.recordFailure(now: clock.now))
        XCTAssertEqual(breaker.recordFailure(now: clock.now)?.openUntil, clock.now.adding(nanoseconds: 5 * second))
        // A threshold of 0 or less acts as 1 rather than tripping on nothing.
        var eager = CircuitBreaker(configuration: CircuitBreakerConfiguration(consecutiveFailureThreshold: 0))
        XCTAssertEqual(eager.state, .closed)
        XCTAssertNotNil(eager.recordFailure(now: clock.now))
    }
}
