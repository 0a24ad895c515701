// How long to wait before retrying a transient failure, and when to stop trying.

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and
/// Jitter"): spreading retries uniformly over the whole window keeps many senders that failed
/// together from retrying together.
public struct BackoffPolicy: Sendable, Hashable {
    /// Upper bound of the first retry's delay (default 0.5 s).
    public var base: Nanoseconds
    /// No delay bound exceeds this (default 60 s).
    public var cap: Nanoseconds
    /// Attempts in total, the first one included (default 8; env SWITCHBOARD_SEND_MAX_ATTEMPTS).
    /// Values below 1 behave as 1.
    public var maxAttempts: Int

    public static let defaultBase: Nanoseconds = 500 * TimeSpan.nanosecondsPerMillisecond
    public static let defaultCap: Nanoseconds = 60 * TimeSpan.nanosecondsPerSecond
    public static let defaultMaxAttempts = 8

    public init(
        base: Nanoseconds = BackoffPolicy.defaultBase,
        cap: Nanoseconds = BackoffPolicy.defaultCap,
        maxAttempts: Int = BackoffPolicy.defaultMaxAttempts
    ) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The largest delay before retry number `attempt` (1 = after the first failure):
    /// min(cap, base * 2^(attempt-1)), computed without overflow for any attempt.
    public func delayBound(attempt: Int) -> Nanoseconds {
        var bound = min(base, cap)
        var doublings = max(attempt, 1) - 1
        while doublings > 0 && bound < cap {
            let (doubled, overflow) = bound.multipliedReportingOverflow(by: 2)
            bound = overflow ? cap : min(doubled, cap)
            doublings -= 1
        }
        return bound
    }

    /// Full jitter: uniform in [0, delayBound(attempt)]. A random source returning values
    /// outside [0, 1) is clamped, so the bound holds whatever it returns.
    public func delay(attempt: Int, random: inout some RandomSource) -> Nanoseconds {
        let bound = delayBound(attempt: attempt)
        let unit = random.nextUnit()
        let clamped = unit.isNaN ? 0 : min(max(unit, 0), 1)
        return min(bound, TimeSpan.saturatingNanoseconds(Double(bound) * clamped))
    }

    /// True once `afterAttempts` attempts have been made and none may follow.
    public func shouldGiveUp(afterAttempts attempts: Int) -> Bool {
        attempts >= max(maxAttempts, 1)
    }
}

/// Meta's rule for the pair rate limit (131056): retry that recipient after 4^n seconds, where n
/// counts the consecutive 131056 answers for the pair starting at 0 (1 s, 4 s, 16 s, 64 s, ...).
/// The exponent is capped (default 4, i.e. 256 s): past a few minutes the pair limit has long
/// recovered and longer waits only delay the agent's reply.
public struct PairRateLimitBackoff: Sendable, Hashable {
    public var maxExponent: Int

    public init(maxExponent: Int = 4) {
        self.maxExponent = maxExponent
    }

    /// `consecutiveHits` is how many 131056 answers preceded this one for the pair (0 for the
    /// first). Negative counts act as 0.
    public func delay(consecutiveHits: Int) -> Nanoseconds {
        let exponent = min(max(consecutiveHits, 0), max(maxExponent, 0))
        var seconds: UInt64 = 1
        for _ in 0..<exponent {
            let (product, overflow) = seconds.multipliedReportingOverflow(by: 4)
            if overflow { return .max }
            seconds = product
        }
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: TimeSpan.nanosecondsPerSecond)
        return overflow ? .max : nanos
    }
}
