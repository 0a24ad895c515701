// How far behind the subscribers are, for admission under overload. A publisher that outruns
// everyone shows up as bytes queued at subscribers that are still reading; a subscriber that has
// stopped reading is a slow consumer (closed with 4008 at its buffer bound) and must not make the
// hub refuse publishers for everyone else, so its bytes are left out once it has not moved for
// `stallMs`.

/// One loop's subscribers, sampled by a periodic sweep on that loop. Not thread-safe.
public struct BacklogGauge<Key: Hashable>: Sendable where Key: Sendable {
    private struct Progress: Sendable {
        var written: Int
        var lastMoveMs: Int64
    }

    public let stallMs: Int64
    /// A reading subscriber with more than this queued is "behind".
    public let behindBytes: Int
    private var progress: [Key: Progress] = [:]

    public init(stallMs: Int64, behindBytes: Int) {
        self.stallMs = stallMs
        self.behindBytes = behindBytes
    }

    /// One subscriber at one sweep: bytes still queued and bytes written so far (monotonic).
    public struct Sample: Sendable {
        public var key: Key
        public var queued: Int
        public var written: Int

        public init(key: Key, queued: Int, written: Int) {
            self.key = key
            self.queued = queued
            self.written = written
        }
    }

    /// Takes a sweep over every current subscriber; subscribers not in `samples` are forgotten.
    public mutating func sweep(nowMs: Int64, _ samples: [Sample]) -> BacklogReading {
        var next: [Key: Progress] = [:]
        next.reserveCapacity(samples.count)
        var reading = BacklogReading()
        for s in samples {
            var p = progress[s.key] ?? Progress(written: s.written, lastMoveMs: nowMs)
            if s.written != p.written || s.queued == 0 {
                p = Progress(written: s.written, lastMoveMs: nowMs)
            }
            next[s.key] = p
            if nowMs - p.lastMoveMs >= stallMs {
                reading.stalledSubscribers += 1
            } else {
                reading.readingSubscribers += 1
                reading.queuedBytes += s.queued
                if s.queued > behindBytes { reading.behindSubscribers += 1 }
            }
        }
        progress = next
        return reading
    }
}

/// What one sweep found: bytes queued at subscribers that are still reading.
public struct BacklogReading: Sendable, Equatable {
    public var queuedBytes = 0
    public var readingSubscribers = 0
    /// Reading subscribers with more than the gauge's `behindBytes` queued.
    public var behindSubscribers = 0
    public var stalledSubscribers = 0

    public init(queuedBytes: Int = 0, readingSubscribers: Int = 0, behindSubscribers: Int = 0, stalledSubscribers: Int = 0) {
        self.queuedBytes = queuedBytes
        self.readingSubscribers = readingSubscribers
        self.behindSubscribers = behindSubscribers
        self.stalledSubscribers = stalledSubscribers
    }
}

/// The overload decision. Three signs: the total backlog of reading subscribers (work the server
/// has promised and not yet written); reading subscribers behind (over an eighth of the
/// connection buffer each): most of a small audience, or more than 2 % of a large one (readers
/// are drained unevenly, so when a few are that far behind the rest are next), so publishers are
/// held back well before readers that keep up with each other reach the slow-consumer bound; and
/// most subscribers not moving at all, which under overload is everyone waiting on the same
/// saturated readers and kernel buffers, not a crowd of slow consumers. A few behind or stalled is
/// not overload: those are slow consumers, closed with 4008 at their bound.
public struct AdmissionPolicy: Sendable {
    public var maxBacklogBytes: Int
    public var maxConnectionBuffer: Int
    /// Seconds a refused publisher is told to wait (`Retry-After`).
    public var retryAfterSeconds = 1

    public init(maxBacklogBytes: Int, maxConnectionBuffer: Int) {
        self.maxBacklogBytes = maxBacklogBytes
        self.maxConnectionBuffer = maxConnectionBuffer
    }

    public init(settings: HubSettings) {
        self.init(maxBacklogBytes: settings.maxBacklogBytes, maxConnectionBuffer: settings.maxConnectionBuffer)
    }

    /// Queued bytes over which a reading subscriber counts as behind.
    public var behindBytes: Int { maxConnectionBuffer / 8 }
    /// From this many reading subscribers on, a small share behind already means overload.
    public static let largeAudience = 50

    /// `backlogBytes`: bytes queued at reading subscribers plus bytes of frames still waiting to be
    /// handed to them; `behindSubscribers` of the `readingSubscribers` have over `behindBytes` queued
    /// (as last measured); `stalledSubscribers` have bytes queued that have not moved for the stall
    /// time. `crossedSinceMeasured`: readers seen crossing `behindBytes` as frames were queued since
    /// the last measurement, an early warning that counts only for a large audience (frames queued
    /// in the current loop turn are not written yet, so for two subscribers it would be noise).
    public func isOverloaded(backlogBytes: Int, readingSubscribers: Int, behindSubscribers: Int, stalledSubscribers: Int,
                             crossedSinceMeasured: Int = 0) -> Bool {
        if backlogBytes > maxBacklogBytes { return true }
        if behindSubscribers > 0 && behindSubscribers * 2 > readingSubscribers { return true }
        if readingSubscribers >= Self.largeAudience && (behindSubscribers + crossedSinceMeasured) * 50 > readingSubscribers { return true }
        return stalledSubscribers > 0 && stalledSubscribers > readingSubscribers
    }

    public func isOverloaded(_ reading: BacklogReading, crossedSinceMeasured: Int = 0) -> Bool {
        isOverloaded(backlogBytes: reading.queuedBytes, readingSubscribers: reading.readingSubscribers,
                     behindSubscribers: reading.behindSubscribers, stalledSubscribers: reading.stalledSubscribers,
                     crossedSinceMeasured: crossedSinceMeasured)
    }
}
