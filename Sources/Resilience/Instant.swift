// Points in monotonic time and spans between them, as plain nanosecond counts, so that every
// policy in this module can be driven by an injected clock and tested without sleeping.

/// A span of time in nanoseconds. Unsigned: policies never produce negative waits.
public typealias Nanoseconds = UInt64

/// Conversions into `Nanoseconds` that saturate instead of trapping, because several inputs come
/// from configuration or from the wire and must never crash the process.
public enum TimeSpan {
    public static let nanosecondsPerSecond: UInt64 = 1_000_000_000
    public static let nanosecondsPerMillisecond: UInt64 = 1_000_000

    /// NaN and negative values give 0; values too large for `UInt64` give `UInt64.max`.
    public static func seconds(_ seconds: Double) -> Nanoseconds {
        saturatingNanoseconds(seconds * Double(nanosecondsPerSecond))
    }

    public static func milliseconds(_ milliseconds: UInt64) -> Nanoseconds {
        let (product, overflow) = milliseconds.multipliedReportingOverflow(by: nanosecondsPerMillisecond)
        return overflow ? .max : product
    }

    /// Seconds as a `Double`, for rates and human-readable output.
    public static func asSeconds(_ nanoseconds: Nanoseconds) -> Double {
        Double(nanoseconds) / Double(nanosecondsPerSecond)
    }

    static func saturatingNanoseconds(_ value: Double) -> Nanoseconds {
        if value.isNaN || value <= 0 { return 0 }
        // 2^64 is exactly representable; anything at or above it does not fit.
        if value >= 18_446_744_073_709_551_616.0 { return .max }
        return UInt64(value)
    }
}

/// A monotonic instant: nanoseconds since an arbitrary origin (boot, for `MonotonicClock`).
/// Only differences between instants from the same clock are meaningful.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanosecondsSinceOrigin: UInt64

    public init(nanosecondsSinceOrigin: UInt64) {
        self.nanosecondsSinceOrigin = nanosecondsSinceOrigin
    }

    public static let zero = Instant(nanosecondsSinceOrigin: 0)

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.nanosecondsSinceOrigin < rhs.nanosecondsSinceOrigin
    }

    /// Saturates at the far future rather than wrapping, so "wait forever" stays in the future.
    public func adding(nanoseconds: Nanoseconds) -> Instant {
        let (sum, overflow) = nanosecondsSinceOrigin.addingReportingOverflow(nanoseconds)
        return Instant(nanosecondsSinceOrigin: overflow ? .max : sum)
    }

    public func adding(seconds: Double) -> Instant {
        adding(nanoseconds: TimeSpan.seconds(seconds))
    }

    public func adding(milliseconds: UInt64) -> Instant {
        adding(nanoseconds: TimeSpan.milliseconds(milliseconds))
    }

    /// Time elapsed from `earlier` to `self`; 0 when `earlier` is not earlier (a clock that went
    /// backwards, or instants passed in the wrong order, never yields a huge wrapped span).
    public func nanoseconds(since earlier: Instant) -> Nanoseconds {
        nanosecondsSinceOrigin >= earlier.nanosecondsSinceOrigin
            ? nanosecondsSinceOrigin - earlier.nanosecondsSinceOrigin : 0
    }

    public var description: String { "Instant(\(nanosecondsSinceOrigin)ns)" }
}
