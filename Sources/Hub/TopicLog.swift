// One topic's sequence numbers and bounded history, and the answer to "what did I miss since X".
import Crypto

/// History bounds for every topic.
public struct HistoryLimits: Sendable, Equatable {
    /// SWITCHBOARD_HISTORY_MAX, default 1000 events.
    public var maxEvents: Int
    /// SWITCHBOARD_HISTORY_TTL_S, default 600 s, kept in ms here.
    public var ttlMs: Int64

    public init(maxEvents: Int = 1000, ttlMs: Int64 = 600_000) {
        self.maxEvents = max(0, maxEvents)
        self.ttlMs = max(0, ttlMs)
    }

    /// Reads SWITCHBOARD_HISTORY_MAX and SWITCHBOARD_HISTORY_TTL_S from an environment map (the
    /// caller passes the process environment). Missing or unparsable values keep the defaults.
    public static func fromEnvironment(_ environment: [String: String]) -> HistoryLimits {
        var limits = HistoryLimits()
        if let text = environment["SWITCHBOARD_HISTORY_MAX"], let n = Int(text), n >= 0 { limits.maxEvents = n }
        if let text = environment["SWITCHBOARD_HISTORY_TTL_S"], let s = Int64(text), s >= 0 {
            let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
            limits.ttlMs = overflow ? Int64.max : ms
        }
        return limits
    }
}

/// A client's claimed position in a topic's stream (`since` on the wire).
public struct StreamPosition: Sendable, Equatable {
    public var epoch: String
    public var seq: Int64

    public init(epoch: String, seq: Int64) {
        self.epoch = epoch
        self.seq = seq
    }
}

public enum Recovery: Sendable, Equatable {
    /// Exactly the events after the client's position, in order (possibly none).
    case replay([EncodedEvent])
    /// History cannot prove nothing was missed; the client reloads over REST from this position.
    case notRecovered(epoch: String, seq: Int64)
}

/// Not thread-safe: the hub guards each topic's log.
///
/// The epoch names this incarnation of the topic's history. A new TopicLog gets a fresh random
/// epoch, so positions from before a restart are never trusted.
public struct TopicLog: Sendable {
    public let epoch: String
    public let limits: HistoryLimits
    /// Sequence number the next event will get; the first is 1.
    public private(set) var nextSeq: Int64 = 1
    private var history = EventRing()

    public init(limits: HistoryLimits = HistoryLimits(), epoch: String = SecureRandom.hexString(bytes: 8)) {
        self.limits = limits
        self.epoch = epoch
    }

    /// A log whose sequence numbers are assigned elsewhere (a backplane): the next event is `seq + 1`.
    public init(limits: HistoryLimits, epoch: String, after seq: Int64) {
        self.limits = limits
        self.epoch = epoch
        nextSeq = max(0, seq) + 1
    }

    /// Records an event whose seq was assigned elsewhere; it must be the next one (`nextSeq`).
    public mutating func appendAssigned(_ event: EncodedEvent, nowMs: Int64) {
        precondition(event.seq == nextSeq, "appendAssigned out of order")
        nextSeq += 1
        evictExpired(nowMs: nowMs)
        if limits.maxEvents > 0 {
            while history.count >= limits.maxEvents { history.removeFirst() }
            history.append(event)
        }
    }

    /// The last sequence number handed out (0 before the first event).
    public var currentSeq: Int64 { nextSeq - 1 }

    /// Events currently held (including ones past their TTL that no append has evicted yet).
    public var historyCount: Int { history.count }

    /// Encodes the event once, assigns it the next seq, and records it in history.
    public mutating func append(type: String, data: [UInt8], meta: [UInt8]? = nil, nowMs: Int64) -> EncodedEvent {
        let event = EncodedEvent(seq: nextSeq, type: type, ts: nowMs, data: data, meta: meta)
        nextSeq += 1
        evictExpired(nowMs: nowMs)
        if limits.maxEvents > 0 {
            while history.count >= limits.maxEvents { history.removeFirst() }
            history.append(event)
        }
        return event
    }

    /// Drops events older than the TTL; `append` does this too, a timer may call it for idle topics.
    public mutating func evictExpired(nowMs: Int64) {
        while let oldest = history.first, isExpired(oldest, nowMs: nowMs) { history.removeFirst() }
    }

    /// Replays only when the epoch matches, the position is not in the future, and every event
    /// after it is still held and within the TTL at `nowMs`; otherwise reports the current position.
    public func recover(since: (epoch: String, seq: Int64), nowMs: Int64) -> Recovery {
        let current = currentSeq
        let refuse = Recovery.notRecovered(epoch: epoch, seq: current)
        guard since.epoch == epoch, since.seq >= 0, since.seq <= current else { return refuse }
        if since.seq == current { return .replay([]) }
        // History holds consecutive seqs; find the oldest one that has not expired.
        var index = 0
        while index < history.count, isExpired(history[index], nowMs: nowMs) { index += 1 }
        guard index < history.count, history[index].seq <= since.seq + 1 else { return refuse }
        index += Int(since.seq + 1 - history[index].seq)
        var events: [EncodedEvent] = []
        events.reserveCapacity(history.count - index)
        while index < history.count {
            events.append(history[index])
            index += 1
        }
        return .replay(events)
    }

    private func isExpired(_ event: EncodedEvent, nowMs: Int64) -> Bool {
        let (age, overflow) = nowMs.subtractingReportingOverflow(event.ts)
        return !overflow && age > limits.ttlMs
    }
}
