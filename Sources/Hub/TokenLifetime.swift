// Token lifetimes and expiry arithmetic. A signed token may carry any Int64 `exp` (a huge one, a
// negative one), so nothing here may trap: every product and difference is checked, and a
// far-future expiry simply arms no timer.

public enum TokenLifetime {
    /// The longest lifetime the server mints: 10 years. Longer ones are refused at minting time,
    /// which also keeps `now + ttl` far from overflowing.
    public static let maxSeconds: Int64 = 315_360_000

    /// `exp` for a token minted at `nowSeconds` living `ttlSeconds`; nil unless 1 ≤ ttl ≤ maxSeconds.
    public static func expiry(nowSeconds: Int64, ttlSeconds: Int64) -> Int64? {
        guard ttlSeconds > 0, ttlSeconds <= maxSeconds else { return nil }
        let (exp, overflow) = nowSeconds.addingReportingOverflow(ttlSeconds)
        return overflow ? nil : exp
    }

    /// When a connection holding a token that expires at `exp` (unix seconds) must be closed.
    public enum ExpiryTimer: Sendable, Equatable {
        /// Already expired: close now.
        case now
        /// Close after this many nanoseconds (at most `maxSeconds`, so a loop deadline cannot wrap).
        case after(nanoseconds: UInt64)
        /// Further away than `maxSeconds`: no connection lives that long, so no timer is armed.
        case never
    }

    public static func expiryTimer(exp: Int64, nowMilliseconds: Int64) -> ExpiryTimer {
        let (expMs, productOverflow) = exp.multipliedReportingOverflow(by: 1000)
        if productOverflow { return exp > 0 ? .never : .now }
        let (remainingMs, differenceOverflow) = expMs.subtractingReportingOverflow(nowMilliseconds)
        // The difference only overflows when the two lie on opposite sides of zero, far apart.
        if differenceOverflow { return expMs > nowMilliseconds ? .never : .now }
        if remainingMs <= 0 { return .now }
        if remainingMs > maxSeconds * 1000 { return .never }
        return .after(nanoseconds: UInt64(remainingMs) * 1_000_000)
    }
}
