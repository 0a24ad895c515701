// Instants, clocks and the environment settings parser.

import XCTest

@testable import Resilience

final class ClockAndSettingsTests: XCTestCase {
    func testInstantArithmeticSaturates() {
        let near = Instant(nanosecondsSinceOrigin: .max - 5)
        XCTAssertEqual(near.adding(nanoseconds: 10).nanosecondsSinceOrigin, .max)
        XCTAssertEqual(Instant.zero.adding(seconds: 1.5).nanosecondsSinceOrigin, 1_500_000_000)
        XCTAssertEqual(Instant.zero.adding(seconds: -3), .zero)
        XCTAssertEqual(Instant.zero.adding(seconds: .nan), .zero)
        XCTAssertEqual(Instant.zero.adding(seconds: .infinity).nanosecondsSinceOrigin, .max)
        XCTAssertEqual(Instant.zero.adding(seconds: 1e30).nanosecondsSinceOrigin, .max)
        XCTAssertEqual(Instant.zero.adding(milliseconds: .max).nanosecondsSinceOrigin, .max)
        XCTAssertEqual(Instant.zero.nanoseconds(since: near), 0)
        XCTAssertEqual(near.nanoseconds(since: .zero), .max - 5)
        XCTAssertLessThan(Instant.zero, near)
    }

    func testMonotonicClockDoesNotGoBackwards() {
        let clock = MonotonicClock()
        var previous = clock.now
        XCTAssertGreaterThan(previous.nanosecondsSinceOrigin, 0)
        for _ in 0..<1000 {
            let next = clock.now
            XCTAssertGreaterThanOrEqual(next, previous)
            previous = next
        }
    }

    func testManualClockMovesOnlyWhenTold() {
        let clock = ManualClock(start: Instant(nanosecondsSinceOrigin: 10))
        XCTAssertEqual(clock.now.nanosecondsSinceOrigin, 10)
        clock.advance(by: 5)
        XCTAssertEqual(clock.now.nanosecondsSinceOrigin, 15)
        clock.advance(seconds: 1)
        XCTAssertEqual(clock.now.nanosecondsSinceOrigin, 1_000_000_015)
        clock.advance(by: .max)
        XCTAssertEqual(clock.now.nanosecondsSinceOrigin, .max)
        clock.set(.zero)
        XCTAssertEqual(clock.now, .zero)
    }

    func testSettingsDefaults() throws {
        let settings = try ResilienceSettings(environment: [:])
        XCTAssertEqual(settings.backoff.maxAttempts, 8)
        XCTAssertEqual(settings.breaker.consecutiveFailureThreshold, 5)
        XCTAssertEqual(settings.breaker.openDuration, 30 * TimeSpan.nanosecondsPerSecond)
        XCTAssertEqual(settings.sendRatePerSecond, 80)
        XCTAssertEqual(settings.pairInterval, 6 * TimeSpan.nanosecondsPerSecond)
    }

    func testSettingsFromEnvironment() throws {
        let settings = try ResilienceSettings(environment: [
            "SWITCHBOARD_SEND_MAX_ATTEMPTS": "3",
            "SWITCHBOARD_BREAKER_FAILURES": " 7 ",
            "SWITCHBOARD_BREAKER_OPEN_S": "2.5",
            "SWITCHBOARD_SEND_RATE": "1000",
            "SWITCHBOARD_PAIR_INTERVAL_MS": "1500",
            "UNRELATED": "x",
        ])
        XCTAssertEqual(settings.backoff.maxAttempts, 3)
        XCTAssertEqual(settings.breaker.consecutiveFailureThreshold, 7)
        XCTAssertEqual(settings.breaker.openDuration, 2_500_000_000)
        XCTAssertEqual(settings.sendRatePerSecond, 1000)
        XCTAssertEqual(settings.pairInterval, 1_500_000_000)
    }

    func testInvalidSettingsAreReportedWithAStableCode() {
        let bad: [(String, String)] = [
            ("SWITCHBOARD_SEND_MAX_ATTEMPTS", "0"),
            ("SWITCHBOARD_SEND_MAX_ATTEMPTS", "eight"),
            ("SWITCHBOARD_BREAKER_FAILURES", "-1"),
            ("SWITCHBOARD_BREAKER_OPEN_S", "nan"),
            ("SWITCHBOARD_BREAKER_OPEN_S", "inf"),
            ("SWITCHBOARD_SEND_RATE", "0"),
            ("SWITCHBOARD_SEND_RATE", ""),
            ("SWITCHBOARD_PAIR_INTERVAL_MS", "99999999999999999999999"),
        ]
        for (name, value) in bad {
            do {
                _ = try ResilienceSettings(environment: [name: value])
                XCTFail("\(name)=\(value) accepted")
            } catch {
                XCTAssertEqual(error.code, "invalid_setting")
                XCTAssertEqual(error.variable, name)
                XCTAssertEqual(error.value, value)
            }
        }
    }
}
