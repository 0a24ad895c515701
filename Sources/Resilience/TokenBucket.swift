// A token bucket: a steady rate with a bounded burst, driven by caller-supplied instants.

/// Used for the 80 msg/s per phone number send rate (env SWITCHBOARD_SEND_RATE) and for per-IP
/// limits such as log uploads. Tokens are fractional so low rates (one per 6 s) stay exact.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens added per second. 0 (or a non-finite or negative value, which are treated as 0)
    /// means the bucket never refills.
    public private(set) var ratePerSecond: Double
    /// Most tokens the bucket holds; at least 1, or nothing could ever be taken.
    public private(set) var burst: Double
    public private(set) var tokens: Double
    private var lastRefill: Instant

    /// Starts full: a fresh sender may use its burst at once.
    public init(ratePerSecond: Double, burst: Double, now: Instant) {
        self.ratePerSecond = Self.validRate(ratePerSecond)
        self.burst = Self.validBurst(burst)
        self.tokens = self.burst
        self.lastRefill = now
    }

    static func validRate(_ rate: Double) -> Double {
        rate.isFinite && rate > 0 ? rate : 0
    }

    static func validBurst(_ burst: Double) -> Double {
        burst.isFinite && burst >= 1 ? burst : 1
    }

    /// The token count at `now`, without changing the bucket.
    public func available(now: Instant) -> Double {
        let elapsed = TimeSpan.asSeconds(now.nanoseconds(since: lastRefill))
        return min(burst, tokens + elapsed * ratePerSecond)
    }

    private mutating func refill(now: Instant) {
        tokens = available(now: now)
        // Never move the reference point backwards: a stale `now` adds nothing.
        if now > lastRefill { lastRefill = now }
    }

    /// Takes `count` tokens if that many are available now.
    public mutating func tryTake(now: Instant, count: Double = 1) -> Bool {
        refill(now: now)
        guard count.isFinite, count >= 0, tokens >= count else { return false }
        tokens -= count
        return true
    }

    /// Takes one token even if that puts the bucket in debt, and returns how long the caller
    /// must wait before acting on it. Successive reservations are spaced by 1/rate, which gives
    /// queued work a fixed order. Debt is bounded by the caller (one reservation per queued item).
    public mutating func reserve(now: Instant) -> Nanoseconds {
        refill(now: now)
        let wait = timeUntilAvailable(now: now)
        tokens -= 1
        return wait
    }

    /// How long until one token is available; 0 if one is available now, `UInt64.max` if the
    /// bucket never refills.
    public func timeUntilAvailable(now: Instant) -> Nanoseconds {
        let have = available(now: now)
        if have >= 1 { return 0 }
        guard ratePerSecond > 0 else { return .max }
        let seconds = (1 - have) / ratePerSecond
        // Round up so that waiting exactly this long always finds a token.
        return TimeSpan.saturatingNanoseconds((seconds * Double(TimeSpan.nanosecondsPerSecond)).rounded(.up))
    }

    /// Changes the rate from `now` on; tokens earned so far are kept at the old rate.
    public mutating func setRate(_ ratePerSecond: Double, now: Instant) {
        refill(now: now)
        self.ratePerSecond = Self.validRate(ratePerSecond)
    }

    /// Changes the burst; tokens above the new burst are dropped.
    public mutating func setBurst(_ burst: Double, now: Instant) {
        refill(now: now)
        self.burst = Self.validBurst(burst)
        tokens = min(tokens, self.burst)
    }

    /// Empties the bucket (used when the upstream says we are over its limit whatever we
    /// counted); it refills from `now` at the current rate.
    public mutating func drain(now: Instant) {
        refill(now: now)
        tokens = min(tokens, 0)
    }

    /// True when the bucket is full at `now`, i.e. indistinguishable from a fresh one; keyed
    /// collections use this to forget idle keys without changing behaviour.
    public func isFull(now: Instant) -> Bool {
        available(now: now) >= burst
    }
}
