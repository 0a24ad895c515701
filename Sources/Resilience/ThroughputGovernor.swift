// Paces one business phone number's sends and slows them down when Graph says it is throttled.

/// The send rate of one phone number (default 80 msg/s, env SWITCHBOARD_SEND_RATE), adapted to
/// throttling answers (130429 throughput, 80007/80008 WABA limits, 4 app limit: every
/// classification with scope `.phoneNumber`):
/// - on each throttle answer the rate is halved (never below `minimumRate`) and sending pauses
///   for `pause` (default 1 s), so requests already in flight do not immediately hit the limit
///   again;
/// - after each `recoveryInterval` (default 10 s) without a throttle answer the rate doubles
///   back, up to the nominal rate.
/// Multiplicative decrease finds the real limit in a few steps when an account's limit is lower
/// than configured; the slow recovery avoids oscillating around it.
public struct ThroughputGovernor: Sendable, Hashable {
    public let nominalRate: Double
    public let minimumRate: Double
    public let pause: Nanoseconds
    public let recoveryInterval: Nanoseconds
    public private(set) var bucket: TokenBucket
    /// Sends are refused until this instant after a throttle answer.
    public private(set) var pausedUntil: Instant
    private var lastRateChange: Instant

    public init(
        nominalRate: Double, burst: Double, now: Instant, minimumRate: Double = 1,
        pause: Nanoseconds = TimeSpan.nanosecondsPerSecond,
        recoveryInterval: Nanoseconds = 10 * TimeSpan.nanosecondsPerSecond
    ) {
        let nominal = TokenBucket.validRate(nominalRate)
        self.nominalRate = nominal
        self.minimumRate = min(TokenBucket.validRate(minimumRate), nominal)
        self.pause = pause
        self.recoveryInterval = max(recoveryInterval, 1)
        self.bucket = TokenBucket(ratePerSecond: nominal, burst: burst, now: now)
        self.pausedUntil = now
        self.lastRateChange = now
    }

    public var currentRate: Double { bucket.ratePerSecond }

    /// The rate that applies at `now` once recovery steps are counted.
    private func recoveredRate(now: Instant) -> Double {
        var rate = bucket.ratePerSecond
        var steps = now.nanoseconds(since: lastRateChange) / recoveryInterval
        while steps > 0 && rate < nominalRate {
            rate = min(nominalRate, rate * 2)
            steps -= 1
        }
        return rate
    }

    private mutating func applyRecovery(now: Instant) {
        let rate = recoveredRate(now: now)
        guard rate != bucket.ratePerSecond else { return }
        let steps = now.nanoseconds(since: lastRateChange) / recoveryInterval
        bucket.setRate(rate, now: now)
        // Keep the partial interval so recovery proceeds at a steady pace.
        lastRateChange = lastRateChange.adding(nanoseconds: steps &* recoveryInterval)
    }

    public mutating func tryTake(now: Instant) -> Bool {
        applyRecovery(now: now)
        guard now >= pausedUntil else { return false }
        return bucket.tryTake(now: now)
    }

    public func timeUntilAvailable(now: Instant) -> Nanoseconds {
        var copy = self
        copy.applyRecovery(now: now)
        return max(pausedUntil.nanoseconds(since: now), copy.bucket.timeUntilAvailable(now: now))
    }

    /// Records a throttle answer; returns the pause, which callers can pass as `minimumDelay`
    /// to `RetryDecision.decide`.
    @discardableResult
    public mutating func recordThrottled(now: Instant) -> Nanoseconds {
        applyRecovery(now: now)
        let halved = max(minimumRate, bucket.ratePerSecond / 2)
        bucket.setRate(halved, now: now)
        lastRateChange = now
        pausedUntil = max(pausedUntil, now.adding(nanoseconds: pause))
        return pause
    }
}
