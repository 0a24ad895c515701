// Backoff bounds, jitter distribution, give-up, the 4^n pair backoff, and retry decisions.

import XCTest

@testable import Resilience

final class BackoffTests: XCTestCase {
    private let second = TimeSpan.nanosecondsPerSecond

    func testDefaults() {
        let policy = BackoffPolicy()
        XCTAssertEqual(policy.base, 500_000_000)
        XCTAssertEqual(policy.cap, 60 * second)
        XCTAssertEqual(policy.maxAttempts, 8)
    }

    func testBoundDoublesUpToTheCap() {
        let policy = BackoffPolicy()
        XCTAssertEqual(policy.delayBound(attempt: 1), 500_000_000)
        XCTAssertEqual(policy.delayBound(attempt: 2), 1 * second)
        XCTAssertEqual(policy.delayBound(attempt: 3), 2 * second)
        XCTAssertEqual(policy.delayBound(attempt: 8), 60 * second)  // 64 s capped
        XCTAssertEqual(policy.delayBound(attempt: 1_000_000), 60 * second)
        XCTAssertEqual(policy.delayBound(attempt: Int.max), 60 * second)
        XCTAssertEqual(policy.delayBound(attempt: 0), 500_000_000)
        XCTAssertEqual(policy.delayBound(attempt: Int.min), 500_000_000)
        // A huge base never overflows.
        XCTAssertEqual(BackoffPolicy(base: .max, cap: .max).delayBound(attempt: 70), .max)
    }

    func testJitteredDelaysStayInBoundsAndAverageHalfTheBound() {
        let policy = BackoffPolicy()
        var random = SeededRandom(seed: 42)
        for attempt in 1...10 {
            let bound = policy.delayBound(attempt: attempt)
            XCTAssertEqual(bound, min(policy.cap, policy.base << UInt64(attempt - 1)))
            let draws = 4000
            var sum = 0.0
            var smallest = UInt64.max
            var largest: UInt64 = 0
            for _ in 0..<draws {
                let delay = policy.delay(attempt: attempt, random: &random)
                XCTAssertLessThanOrEqual(delay, bound)
                sum += Double(delay)
                smallest = min(smallest, delay)
                largest = max(largest, delay)
            }
            let meanRatio = sum / Double(draws) / Double(bound)
            XCTAssertEqual(meanRatio, 0.5, accuracy: 0.03, "attempt \(attempt)")
            // Full jitter covers the whole range, not just its upper part.
            XCTAssertLessThan(Double(smallest), Double(bound) * 0.01)
            XCTAssertGreaterThan(Double(largest), Double(bound) * 0.99)
        }
    }

    func testSeededRandomIsDeterministicAndInUnitRange() {
        var first = SeededRandom(seed: 7)
        var second = SeededRandom(seed: 7)
        var other = SeededRandom(seed: 8)
        var differs = false
        for _ in 0..<1000 {
            let value = first.nextUnit()
            XCTAssertEqual(value, second.nextUnit())
            XCTAssertGreaterThanOrEqual(value, 0)
            XCTAssertLessThan(value, 1)
            if value != other.nextUnit() { differs = true }
        }
        XCTAssertTrue(differs)
        var system = SystemRandom()
        for _ in 0..<100 {
            let value = system.nextUnit()
            XCTAssertTrue(value >= 0 && value < 1)
        }
    }

    /// A misbehaving source cannot push a delay past the bound or below zero.
    func testOutOfRangeRandomIsClamped() {
        struct Fixed: RandomSource {
            var value: Double
            mutating func nextUnit() -> Double { value }
        }
        let policy = BackoffPolicy()
        for value in [-5.0, 1.0, 7.5, .infinity, -.infinity, .nan] {
            var source = Fixed(value: value)
            let delay = policy.delay(attempt: 3, random: &source)
            XCTAssertLessThanOrEqual(delay, policy.delayBound(attempt: 3), "value \(value)")
        }
        var zero = Fixed(value: 0)
        XCTAssertEqual(policy.delay(attempt: 3, random: &zero), 0)
    }

    func testGiveUpAfterMaxAttempts() {
        let policy = BackoffPolicy(maxAttempts: 3)
        XCTAssertFalse(policy.shouldGiveUp(afterAttempts: 1))
        XCTAssertFalse(policy.shouldGiveUp(afterAttempts: 2))
        XCTAssertTrue(policy.shouldGiveUp(afterAttempts: 3))
        XCTAssertTrue(policy.shouldGiveUp(afterAttempts: 4))
        XCTAssertTrue(BackoffPolicy(maxAttempts: 0).shouldGiveUp(afterAttempts: 1))
        XCTAssertTrue(BackoffPolicy(maxAttempts: -3).shouldGiveUp(afterAttempts: 1))
    }

    func testPairRateLimitBackoffIsFourToTheN() {
        let backoff = PairRateLimitBackoff()
        XCTAssertEqual(backoff.delay(consecutiveHits: 0), 1 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: 1), 4 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: 2), 16 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: 3), 64 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: 4), 256 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: 5), 256 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: Int.max), 256 * second)
        XCTAssertEqual(backoff.delay(consecutiveHits: -1), 1 * second)
        XCTAssertEqual(PairRateLimitBackoff(maxExponent: 100).delay(consecutiveHits: 100), .max)
    }

    func testRetryDecisionRetriesTransientFailuresWithinTheBound() {
        let policy = BackoffPolicy()
        var random = SeededRandom(seed: 1)
        let transient = FailureClassifier.classify(.timeout(afterRequestSent: false))
        for attempts in 1..<8 {
            let decision = RetryDecision.decide(transient, attempts: attempts, policy: policy, random: &random)
            guard case .retry(let delay) = decision.action else {
                XCTFail("attempt \(attempts): \(decision.action)")
                continue
            }
            XCTAssertLessThanOrEqual(delay, policy.delayBound(attempt: attempts))
            XCTAssertEqual(decision.scope, .message)
        }
        let last = RetryDecision.decide(transient, attempts: 8, policy: policy, random: &random)
        XCTAssertEqual(last.action, .fail(.attemptsExhausted))
    }

    func testRetryDecisionFailsPermanentFailuresAtOnce() {
        var random = SeededRandom(seed: 1)
        let permanent = FailureClassifier.classify(.http(status: 400, graphCode: 131047, subcode: nil, title: nil, details: nil))
        let decision = RetryDecision.decide(permanent, attempts: 1, policy: BackoffPolicy(), random: &random)
        XCTAssertEqual(decision.action, .fail(.permanent))
        XCTAssertEqual(RetryDecision.GiveUpReason.attemptsExhausted.rawValue, "attempts_exhausted")
    }

    func testRetryDecisionHonoursMinimumDelayAndScope() {
        var random = SeededRandom(seed: 3)
        let pair = FailureClassifier.classify(.http(status: 400, graphCode: 131056, subcode: 2_494_055, title: nil, details: nil))
        let decision = RetryDecision.decide(pair, attempts: 1, policy: BackoffPolicy(), random: &random, minimumDelay: 16 * second)
        XCTAssertEqual(decision.action, .retry(after: 16 * second))
        XCTAssertEqual(decision.scope, .recipient)
    }

    func testRetryDecisionHonoursTheCodeSpecificAttemptLimit() {
        var random = SeededRandom(seed: 3)
        let unknown = FailureClassifier.classify(.http(status: 400, graphCode: 1, subcode: nil, title: nil, details: nil))
        let policy = BackoffPolicy(maxAttempts: 8)
        if case .fail = RetryDecision.decide(unknown, attempts: 2, policy: policy, random: &random).action {
            XCTFail("code 1 should be retried after 2 attempts")
        }
        XCTAssertEqual(RetryDecision.decide(unknown, attempts: 3, policy: policy, random: &random).action, .fail(.attemptsExhausted))
    }
}
