// Paces messages per recipient so one chatty conversation never trips WhatsApp's pair limit.

/// WhatsApp allows about one message every 6 s from a business number to the same user, with
/// short bursts (131056 beyond that). The pacer keeps a small token bucket per recipient
/// (interval default 6000 ms, env SWITCHBOARD_PAIR_INTERVAL_MS; burst default 2) and, when Graph
/// still answers 131056, blocks that recipient for 4^n seconds (`PairRateLimitBackoff`) while
/// other recipients go on.
///
/// Memory is bounded: a recipient whose bucket is full, who is not blocked and who has been
/// quiet for `idleHorizon` behaves exactly like one never seen, so it is forgotten (swept at
/// most once per `idleHorizon`, and whenever the table exceeds `maxRecipients`). If the table is
/// still over the bound after that, the least recently active tenth is dropped; those recipients
/// may then get one extra burst, which is the price of a hard memory bound.
public struct PairPacer: Sendable {
    struct RecipientState: Sendable {
        var bucket: TokenBucket
        var blockedUntil: Instant
        var consecutiveRateLimits: Int
        var lastActivity: Instant
    }

    public let interval: Nanoseconds
    public let burst: Double
    public let maxRecipients: Int
    public let idleHorizon: Nanoseconds
    public let backoff: PairRateLimitBackoff
    private var recipients: [String: RecipientState] = [:]
    private var lastSweep: Instant?

    public static let defaultInterval: Nanoseconds = 6000 * TimeSpan.nanosecondsPerMillisecond

    public init(
        interval: Nanoseconds = PairPacer.defaultInterval,
        burst: Double = 2,
        maxRecipients: Int = 100_000,
        idleHorizon: Nanoseconds = 600 * TimeSpan.nanosecondsPerSecond,
        backoff: PairRateLimitBackoff = PairRateLimitBackoff()
    ) {
        self.interval = max(interval, 1)
        self.burst = TokenBucket.validBurst(burst)
        self.maxRecipients = max(maxRecipients, 1)
        self.idleHorizon = idleHorizon
        self.backoff = backoff
    }

    /// Recipients currently remembered.
    public var trackedRecipients: Int { recipients.count }

    private var ratePerSecond: Double {
        Double(TimeSpan.nanosecondsPerSecond) / Double(interval)
    }

    private mutating func state(for recipient: String, now: Instant) -> RecipientState {
        if let existing = recipients[recipient] { return existing }
        sweepIfDue(now: now, adding: 1)
        return RecipientState(
            bucket: TokenBucket(ratePerSecond: ratePerSecond, burst: burst, now: now),
            blockedUntil: now, consecutiveRateLimits: 0, lastActivity: now)
    }

    /// Reserves the recipient's next slot and returns when it may be sent. Successive calls
    /// for one recipient return non-decreasing instants, spaced by `interval` once the burst is
    /// used, so queued messages keep their order.
    public mutating func nextAllowed(recipient: String, now: Instant) -> Instant {
        var entry = state(for: recipient, now: now)
        let wait = entry.bucket.reserve(now: now)
        let slot = max(entry.blockedUntil, now.adding(nanoseconds: wait))
        entry.lastActivity = max(entry.lastActivity, slot)
        recipients[recipient] = entry
        return slot
    }

    /// Takes a slot only if one is free right now.
    public mutating func tryTake(recipient: String, now: Instant) -> Bool {
        var entry = state(for: recipient, now: now)
        guard now >= entry.blockedUntil, entry.bucket.tryTake(now: now) else {
            if recipients[recipient] == nil { recipients[recipient] = entry }
            return false
        }
        entry.lastActivity = max(entry.lastActivity, now)
        recipients[recipient] = entry
        return true
    }

    /// Records a 131056 answer for `recipient`: blocks it for 4^n seconds, n being the number of
    /// consecutive 131056 answers before this one, and returns that delay (pass it as
    /// `minimumDelay` to `RetryDecision.decide`).
    @discardableResult
    public mutating func recordPairRateLimit(recipient: String, now: Instant) -> Nanoseconds {
        var entry = state(for: recipient, now: now)
        let delay = backoff.delay(consecutiveHits: entry.consecutiveRateLimits)
        entry.consecutiveRateLimits = entry.consecutiveRateLimits < Int.max ? entry.consecutiveRateLimits + 1 : Int.max
        let until = now.adding(nanoseconds: delay)
        entry.blockedUntil = max(entry.blockedUntil, until)
        entry.bucket.drain(now: now)
        entry.lastActivity = max(entry.lastActivity, entry.blockedUntil)
        recipients[recipient] = entry
        return delay
    }

    /// Records an accepted send: the run of consecutive 131056 answers is over.
    public mutating func recordAccepted(recipient: String) {
        recipients[recipient]?.consecutiveRateLimits = 0
    }

    /// Consecutive 131056 answers recorded for `recipient` (0 if unknown).
    public func consecutiveRateLimits(recipient: String) -> Int {
        recipients[recipient]?.consecutiveRateLimits ?? 0
    }

    /// Forgets every recipient that behaves like a new one at `now`.
    public mutating func evictIdle(now: Instant) {
        recipients = recipients.filter { !isIdle($0.value, now: now) }
        lastSweep = now
    }

    private func isIdle(_ entry: RecipientState, now: Instant) -> Bool {
        now >= entry.blockedUntil
            && now.nanoseconds(since: entry.lastActivity) >= idleHorizon
            && entry.bucket.isFull(now: now)
    }

    private mutating func sweepIfDue(now: Instant, adding newEntries: Int) {
        let overBound = recipients.count + newEntries > maxRecipients
        let due = lastSweep.map { now.nanoseconds(since: $0) >= idleHorizon } ?? true
        guard overBound || due else { return }
        evictIdle(now: now)
        let over = recipients.count + newEntries - maxRecipients
        guard over > 0 else { return }
        // Drop a tenth of the table at once so that a table full of active recipients pays for
        // the sort once per many insertions, not on every one.
        let excess = min(recipients.count, max(over, maxRecipients / 10))
        let oldest = recipients.sorted { $0.value.lastActivity < $1.value.lastActivity }.prefix(excess)
        for (recipient, _) in oldest { recipients[recipient] = nil }
    }
}
