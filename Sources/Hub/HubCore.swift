// The hub without I/O: topics with their sequence numbers, epochs, history and batching windows.
// Publishing may happen on any thread (topics live in lock-protected shards); time comes from an
// injected clock, and everything that needs a loop is handed to the caller: flushed frames go to
// a `FrameSink`, and "arm this topic's flush timer" comes back as a `FlushRequest`. The fan-out to
// connections (Server's HubFanout) implements both.
//
// Ordering without gaps or duplicates: a topic's frames reach the sink while the topic's lock is
// held, so they leave in seq order. A subscription records, per topic, the last seq already
// flushed when it was positioned (`SubscribePlan.deliveredUpTo`, computed under the same lock), so
// a frame flushed before the subscription but delivered after it is skipped, and replayed history
// stops exactly where live frames begin.
import Locks

/// One batch frame, encoded once; the fan-out queues these same bytes to every subscriber.
public struct FlushedFrame: Sendable {
    public let topic: String
    public let epoch: String
    /// A complete, unmasked WebSocket text frame.
    public let bytes: [UInt8]
    public let events: Int
    public let lastSeq: Int64
}

/// Receives each flushed frame. Called with the topic's lock held: hand the frame off without
/// blocking and without calling back into the core.
public protocol FrameSink {
    func frameFlushed(_ frame: FlushedFrame)
}

/// A timer the caller must arm after a publish; when it fires, call `HubCore.flush(_:to:)`.
public enum FlushRequest: Sendable, Equatable {
    /// Window 0: at the end of the current loop turn, so events of one turn share a frame.
    case endOfTurn
    case after(ms: Int)
}

public struct PublishReceipt: Sendable, Equatable {
    public let seq: Int64
    /// Non-nil when this event opened a new batch window.
    public let flush: FlushRequest?
}

/// Where a new subscription starts: the ack lines, the per-topic positions already covered (live
/// frames at or below them are skipped) and the history frames to send right after the ack.
public struct SubscribePlan: Sendable {
    public var ack: [SubscribeAckEntry] = []
    public var deliveredUpTo: [String: StreamPosition] = [:]
    public var replay: [[UInt8]] = []
    public var replayBytes: Int { replay.reduce(0) { $0 + $1.count } }
}

public final class HubCore: Sendable {
    public let settings: HubSettings
    public let counters: HubCounters
    private let shards: [TopicShard]
    let nowMs: @Sendable () -> Int64

    /// `nowMs`: wall-clock unix milliseconds (event timestamps, history TTL, idle topics).
    public init(settings: HubSettings, counters: HubCounters = HubCounters(), nowMs: @escaping @Sendable () -> Int64) {
        self.settings = settings
        self.counters = counters
        self.nowMs = nowMs
        shards = (0..<16).map { _ in TopicShard() }
    }

    func shard(_ topic: String) -> TopicShard {
        var h: UInt32 = 2166136261
        for b in topic.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        return shards[Int(h % UInt32(shards.count))]
    }

    func stateLocked(_ topics: inout [String: TopicState], _ topic: String, nowMs: Int64) -> TopicState {
        if let state = topics[topic] { return state }
        let state = TopicState(topic: topic, limits: settings.history, nowMs: nowMs)
        topics[topic] = state
        return state
    }

    // MARK: publishing (any thread)

    /// Encodes the event once, gives it the topic's next seq, records it in history and in the
    /// topic's pending batch. A full size window flushes to `sink` at once; the first event of a
    /// window asks for a flush timer.
    public func publish(topic: String, type: String, data: [UInt8], meta: [UInt8]? = nil, to sink: some FrameSink) -> PublishReceipt {
        let ts = nowMs()
        let receipt: PublishReceipt = shard(topic).withLock { topics in
            let state = stateLocked(&topics, topic, nowMs: ts)
            let event = state.log.append(type: type, data: data, meta: meta, nowMs: ts)
            return PublishReceipt(seq: event.seq, flush: enqueueLocked(event, in: state, nowMs: ts, to: sink))
        }
        counters.eventsPublished.add(1, ordering: .relaxed)
        return receipt
    }

    /// The topic's flush timer fired: sends whatever is pending now.
    public func flush(_ topic: String, to sink: some FrameSink) {
        shard(topic).withLock { topics in
            guard let state = topics[topic] else { return }
            state.flushArmed = false
            flushLocked(state, to: sink)
        }
    }

    /// Sends every topic's pending events now. Start-up calls it before the first client is
    /// accepted: what the server published while starting (the first health report) is then
    /// history a client may ask for with `since`, never a "live" event that reaches whoever
    /// happens to subscribe before the batching window closes.
    public func flushAll(to sink: some FrameSink) {
        for s in shards {
            s.withLock { topics in
                for state in topics.values { flushLocked(state, to: sink) }
            }
        }
    }

    /// Queues an event already in the topic's log for its next frame: flushes at once when the
    /// batch is full, and asks for a flush timer when this event opened a new batch. Shared by
    /// local publishes and events sequenced elsewhere (ingest), so both batch alike.
    func enqueueLocked(_ event: EncodedEvent, in state: TopicState, nowMs: Int64, to sink: some FrameSink) -> FlushRequest? {
        state.lastActivityMs = nowMs
        let wasEmpty = state.pending.isEmpty
        state.pending.append(event)
        if state.pending.isFull(maxEvents: settings.batchMaxEvents, maxBytes: settings.batchMaxBytes) {
            flushLocked(state, to: sink)
        } else if wasEmpty && !state.flushArmed {
            state.flushArmed = true
            return settings.batchWindowMs == 0 ? .endOfTurn : .after(ms: settings.batchWindowMs)
        }
        return nil
    }

    func flushLocked(_ state: TopicState, to sink: some FrameSink) {
        guard let batch = state.pending.takeFrame() else { return }
        state.flushedSeq = batch.lastSeq
        counters.framesBuilt.add(1, ordering: .relaxed)
        settings.onFrameBuilt?(batch.events)
        sink.frameFlushed(FlushedFrame(topic: state.topic, epoch: state.log.epoch, bytes: batch.frame,
                                       events: batch.events, lastSeq: batch.lastSeq))
    }

    // MARK: subscribing

    /// Positions a new subscription. Concrete topics get their current position and, with
    /// `since`, the missed events as batch frames; `since` entries for topics under a wildcard
    /// pattern are positioned too. Replay must fit `replayBudget` bytes (what the connection's
    /// buffer has left): a topic whose replay would not fit is answered `recovered:false` and the
    /// client reloads over REST, so replay never bypasses the slow-consumer bound.
    public func plan(patterns: [TopicPattern], since: [String: StreamPosition], replayBudget: Int) -> SubscribePlan {
        var plan = SubscribePlan()
        var budget = replayBudget
        var positioned = Set<String>()
        for pattern in patterns {
            if pattern.isWildcard {
                plan.ack.append(.wildcard(pattern.description))
            } else {
                let topic = pattern.description
                positioned.insert(topic)
                position(topic, since: since[topic], budget: &budget, into: &plan)
            }
        }
        for (topic, pos) in since.sorted(by: { $0.key < $1.key }) where !positioned.contains(topic) {
            guard patterns.contains(where: { $0.matches(topic) }) else { continue }
            position(topic, since: pos, budget: &budget, into: &plan)
        }
        return plan
    }

    private func position(_ topic: String, since: StreamPosition?, budget: inout Int, into plan: inout SubscribePlan) {
        let now = nowMs()
        shard(topic).withLock { topics in
            let state = stateLocked(&topics, topic, nowMs: now)
            let epoch = state.log.epoch
            let flushed = state.flushedSeq
            plan.deliveredUpTo[topic] = StreamPosition(epoch: epoch, seq: flushed)
            guard let since else {
                plan.ack.append(SubscribeAckEntry(topic: topic, epoch: epoch, seq: flushed))
                return
            }
            // Events after `flushedSeq` are still pending: they reach this subscriber live.
            guard since.epoch == epoch, since.seq <= flushed,
                  case .replay(let events) = state.log.recover(since: (since.epoch, since.seq), nowMs: now) else {
                counters.recoveriesFailed.add(1, ordering: .relaxed)
                plan.ack.append(SubscribeAckEntry(topic: topic, epoch: epoch, seq: flushed, recovered: false))
                return
            }
            let frames = replayFrames(events.filter { $0.seq <= flushed }, topic: topic, epoch: epoch)
            let bytes = frames.reduce(0) { $0 + $1.count }
            guard bytes <= budget else {
                counters.recoveriesFailed.add(1, ordering: .relaxed)
                counters.recoveriesOverBuffer.add(1, ordering: .relaxed)
                plan.ack.append(SubscribeAckEntry(topic: topic, epoch: epoch, seq: flushed, recovered: false))
                return
            }
            budget -= bytes
            plan.replay += frames
            counters.recoveries.add(1, ordering: .relaxed)
            plan.ack.append(SubscribeAckEntry(topic: topic, epoch: epoch, seq: flushed, recovered: true))
        }
    }

    private func replayFrames(_ events: [EncodedEvent], topic: String, epoch: String) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var acc = BatchAccumulator(topic: topic, epoch: epoch)
        for e in events {
            acc.append(e)
            if acc.isFull(maxEvents: settings.batchMaxEvents, maxBytes: settings.batchMaxBytes),
               let f = acc.takeFrame() { frames.append(f.frame) }
        }
        if let f = acc.takeFrame() { frames.append(f.frame) }
        return frames
    }

    // MARK: housekeeping and introspection

    public var topicCount: Int { shards.reduce(0) { n, s in n + s.withLock { $0.count } } }

    /// Drops expired history everywhere (a timer calls this for idle topics), and forgets topics
    /// idle for longer than the history TTL whose history is gone: a long-running server sees
    /// one topic per conversation, and an idle topic's memory would otherwise stay forever. A
    /// topic published to again starts with a new epoch, which is what "history lost" means.
    public func evictExpired() {
        let now = nowMs()
        let idleLimit = max(settings.history.ttlMs, 60_000)
        var dropped = 0
        for s in shards {
            s.withLock { topics in
                var idle: [String] = []
                for (name, state) in topics {
                    state.log.evictExpired(nowMs: now)
                    if state.log.historyCount == 0, state.pending.isEmpty, !state.flushArmed,
                       now - state.lastActivityMs > idleLimit {
                        idle.append(name)
                    }
                }
                for name in idle { topics[name] = nil }
                dropped += idle.count
            }
        }
        if dropped > 0 { counters.topicsDropped.add(dropped, ordering: .relaxed) }
    }

    /// The current position of a topic (tests, REST).
    public func position(of topic: String) -> StreamPosition? {
        shard(topic).withLock { topics in
            topics[topic].map { StreamPosition(epoch: $0.log.epoch, seq: $0.log.currentSeq) }
        }
    }
}

/// A slice of the topic table behind one lock, so publishers of different topics rarely contend.
final class TopicShard: Sendable {
    // Locked (pthread) rather than Mutex, so ThreadSanitizer sees the lock.
    let topics = Locked<[String: TopicState]>([:])

    func withLock<R>(_ body: (inout [String: TopicState]) throws -> R) rethrows -> R {
        try topics.withLock { try body(&$0) }
    }
}

/// One topic: history and the pending batch. Guarded by its shard's lock.
final class TopicState: @unchecked Sendable {  // guarded by its shard's lock
    let topic: String
    var log: TopicLog
    var pending: BatchAccumulator
    /// Last seq handed to the sink in a frame.
    var flushedSeq: Int64 = 0
    var flushArmed = false
    /// Wall time of the last publish (or creation), for dropping idle topics.
    var lastActivityMs: Int64

    init(topic: String, limits: HistoryLimits, nowMs: Int64) {
        self.topic = topic
        lastActivityMs = nowMs
        log = TopicLog(limits: limits)
        pending = BatchAccumulator(topic: topic, epoch: log.epoch)
    }
}
