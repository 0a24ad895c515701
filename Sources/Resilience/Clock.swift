// Where "now" comes from: the real monotonic clock in production, a hand-driven clock in tests.

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Injected into everything time-dependent so that breakers, buckets and backoff are tested
/// deterministically; the policies themselves take `now:` arguments and never read a clock.
public protocol ResilienceClock: Sendable {
    var now: Instant { get }
}

/// CLOCK_MONOTONIC: unaffected by wall-clock jumps (NTP, manual changes), which would otherwise
/// open breakers early or stall buckets.
public struct MonotonicClock: ResilienceClock {
    public init() {}

    public var now: Instant {
        var spec = timespec()
        // clock_gettime(CLOCK_MONOTONIC) cannot fail on Linux with a valid pointer; if it ever
        // did, the zeroed timespec reads as the origin rather than garbage.
        _ = clock_gettime(CLOCK_MONOTONIC, &spec)
        let seconds = UInt64(clamping: spec.tv_sec)
        let nanos = UInt64(clamping: spec.tv_nsec)
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: TimeSpan.nanosecondsPerSecond)
        return Instant(nanosecondsSinceOrigin: overflow ? .max : scaled).adding(nanoseconds: nanos)
    }
}

/// A clock that moves only when a test says so. A class (shared by reference) so that the code
/// under test and the test see the same time; the atomic makes it safe to share across threads.
@available(macOS 15.0, *)
public final class ManualClock: ResilienceClock {
    private let nanoseconds: Atomic<UInt64>

    public init(start: Instant = .zero) {
        nanoseconds = Atomic(start.nanosecondsSinceOrigin)
    }

    public var now: Instant {
        Instant(nanosecondsSinceOrigin: nanoseconds.load(ordering: .acquiring))
    }

    /// Moves time forward; saturates at the far future.
    public func advance(by span: Nanoseconds) {
        while true {
            let current = nanoseconds.load(ordering: .acquiring)
            let next = Instant(nanosecondsSinceOrigin: current).adding(nanoseconds: span)
            let (exchanged, _) = nanoseconds.compareExchange(
                expected: current, desired: next.nanosecondsSinceOrigin, ordering: .acquiringAndReleasing)
            if exchanged { return }
        }
    }

    public func advance(seconds: Double) {
        advance(by: TimeSpan.seconds(seconds))
    }

    /// Sets an absolute time. Monotonic clocks never go backwards, but tests of defensive code
    /// may need to; every policy here treats a backwards step as "no time elapsed".
    public func set(_ instant: Instant) {
        nanoseconds.store(instant.nanosecondsSinceOrigin, ordering: .releasing)
    }
}
