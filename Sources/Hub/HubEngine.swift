// The threaded hub: topics with their sequence numbers, history and batching windows, and the
// fan-out of each batch frame to the subscribers on every loop. Publishing may happen on any
// thread; subscribers live on their connection's loop.
//
// Ordering without gaps or duplicates: a topic's frames are handed to every loop while the
// topic's lock is held, so each loop receives them in seq order. A subscriber records, per topic,
// the last seq it already has (`skipUpTo`, set at subscribe under the same lock), so a frame that
// was flushed before the subscription but reaches the loop after it is skipped, and replayed
// history stops exactly where live frames begin.
import Reactor
import Synchronization

public struct HubSettings: Sendable {
    /// Time window in ms; 0 = flush at the end of the publishing loop's turn.
    public var batchWindowMs: Int = 10
    public var batchMaxEvents: Int = 256
    public var batchMaxBytes: Int = 65536
    /// Outbound bytes a connection may have queued before it is closed as a slow consumer.
    public var maxConnectionBuffer: Int = 4 << 20
    public var history = HistoryLimits()
    /// Called with the number of events in each frame built (for the batch-size histogram).
    public var onFrameBuilt: (@Sendable (_ events: Int) -> Void)? = nil

    public init() {}
}

/// A subscriber: the hub side of one WebSocket connection. Loop-confined.
public protocol HubSubscriber: AnyObject {
    var loop: EventLoop { get }
    var queuedBytes: Int { get }
    /// Per concrete topic: frames of this epoch whose last seq is at or below this are already
    /// delivered. The epoch matters because an idle topic can be dropped and start again.
    var skipUpTo: [String: StreamPosition] { get set }
    func sendFrame(_ frame: SharedBytes)
    /// Over its buffer bound: close with 4008.
    func closeSlowConsumer()
}

/// Counters for metrics and benchmarks (relaxed atomics).
public final class HubCounters: Sendable {
    public let eventsPublished = Atomic<Int>(0)
    public let framesBuilt = Atomic<Int>(0)
    public let framesQueued = Atomic<Int>(0)
    public let eventsDelivered = Atomic<Int>(0)
    public let bytesQueued = Atomic<Int>(0)
    public let slowConsumerCloses = Atomic<Int>(0)
    public let recoveries = Atomic<Int>(0)
    public let recoveriesFailed = Atomic<Int>(0)
    public let subscriptions = Atomic<Int>(0)
    public let topicsDropped = Atomic<Int>(0)
    public init() {}
}

public final class HubEngine: @unchecked Sendable {
    // Topic state lives in lock-protected shards; subscription indexes are loop-confined (one per
    // loop, touched only on that loop's thread).
    public let settings: HubSettings
    public let counters = HubCounters()
    private let loops: [EventLoop]
    private let shards: [TopicShard]
    private let indexes: [SubscriptionIndex]
    private let now: @Sendable () -> Int64

    public init(settings: HubSettings, loops: [EventLoop], wallClockMs: @escaping @Sendable () -> Int64 = MonotonicTime.wallMilliseconds) {
        self.settings = settings
        self.loops = loops
        self.now = wallClockMs
        shards = (0..<16).map { _ in TopicShard() }
        indexes = loops.map { _ in SubscriptionIndex() }
    }

    private func shard(_ topic: String) -> TopicShard {
        var h: UInt32 = 2166136261
        for b in topic.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        return shards[Int(h % UInt32(shards.count))]
    }

    private func homeLoop(_ topic: String) -> EventLoop {
        var h: UInt32 = 5381
        for b in topic.utf8 { h = (h &* 33) ^ UInt32(b) }
        return loops[Int(h % UInt32(loops.count))]
    }

    // MARK: publishing (any thread)

    /// Publishes one event: it is encoded once here, gets the topic's next seq, enters history and
    /// the topic's pending batch. Returns the seq.
    @discardableResult
    public func publish(topic: String, type: String, data: [UInt8], meta: [UInt8]? = nil) -> Int64 {
        let ts = now()
        var needsTimer = false
        let seq: Int64 = shard(topic).withLock { topics in
            let state = topics[topic] ?? {
                let s = TopicState(topic: topic, limits: settings.history, nowMs: ts)
                topics[topic] = s
                return s
            }()
            let event = state.log.append(type: type, data: data, meta: meta, nowMs: ts)
            state.lastActivityMs = ts
            let wasEmpty = state.pending.isEmpty
            state.pending.append(event)
            if state.pending.isFull(maxEvents: settings.batchMaxEvents, maxBytes: settings.batchMaxBytes) {
                flushLocked(state)
            } else if wasEmpty && !state.flushArmed {
                state.flushArmed = true
                needsTimer = true
            }
            return event.seq
        }
        counters.eventsPublished.add(1, ordering: .relaxed)
        if needsTimer { armFlush(topic) }
        return seq
    }

    private func armFlush(_ topic: String) {
        let window = settings.batchWindowMs
        if window == 0 {
            // Flush at the end of this loop turn (or the home loop's next turn off-loop), so all
            // events published in one turn share a frame.
            if let here = loops.first(where: { $0.inEventLoop }) {
                here.atEndOfTurn { [self] in flush(topic) }
            } else {
                homeLoop(topic).execute { [self] in flush(topic) }
            }
            return
        }
        let ns = UInt64(window) * 1_000_000
        let home = homeLoop(topic)
        if home.inEventLoop {
            home.schedule(afterNanoseconds: ns) { [self] in flush(topic) }
        } else {
            home.execute { [self] in
                home.schedule(afterNanoseconds: ns) { [self] in flush(topic) }
            }
        }
    }

    /// Sends whatever is pending for `topic` now.
    public func flush(_ topic: String) {
        shard(topic).withLock { topics in
            guard let state = topics[topic] else { return }
            state.flushArmed = false
            flushLocked(state)
        }
    }

    /// Builds the frame once and hands the same bytes to every loop. Runs under the topic's lock
    /// so that frames of one topic reach each loop in seq order.
    private func flushLocked(_ state: TopicState) {
        guard let batch = state.pending.takeFrame() else { return }
        state.flushedSeq = batch.lastSeq
        counters.framesBuilt.add(1, ordering: .relaxed)
        settings.onFrameBuilt?(batch.events)
        let frame = SharedBytes(batch.frame)
        let topic = state.topic
        let epoch = state.log.epoch
        for (i, loop) in loops.enumerated() {
            let index = indexes[i]
            if !index.mayHaveSubscribers(topic) { continue }
            loop.execute { [self] in
                deliver(topic: topic, epoch: epoch, frame: frame, events: batch.events, lastSeq: batch.lastSeq, index: index)
            }
        }
    }

    // MARK: delivery (on each loop)

    private func deliver(topic: String, epoch: String, frame: SharedBytes, events: Int, lastSeq: Int64, index: SubscriptionIndex) {
        var sent = 0
        index.forEachSubscriber(of: topic) { sub in
            if let skip = sub.skipUpTo[topic], skip.epoch == epoch, lastSeq <= skip.seq { return }
            if sub.queuedBytes + frame.count > settings.maxConnectionBuffer {
                counters.slowConsumerCloses.add(1, ordering: .relaxed)
                sub.closeSlowConsumer()
                return
            }
            sub.sendFrame(frame)
            sent += 1
        }
        if sent > 0 {
            counters.framesQueued.add(sent, ordering: .relaxed)
            counters.eventsDelivered.add(sent * events, ordering: .relaxed)
            counters.bytesQueued.add(sent * frame.count, ordering: .relaxed)
        }
    }

    // MARK: subscriptions (on the subscriber's loop)

    public struct SubscribeResult {
        public var ack: [SubscribeAckEntry] = []
        /// Replayed history, as batch frames, to send right after the ack.
        public var replay: [SharedBytes] = []
    }

    /// Adds the subscriptions and computes positions and replay. Call on `sub.loop`.
    public func subscribe(_ sub: HubSubscriber, patterns: [TopicPattern], since: [String: StreamPosition]) -> SubscribeResult {
        let index = indexes[sub.loop.index]
        var result = SubscribeResult()
        var positioned = Set<String>()
        for pattern in patterns {
            if index.add(sub, pattern: pattern) { counters.subscriptions.add(1, ordering: .relaxed) }
            if pattern.isWildcard {
                result.ack.append(.wildcard(pattern.description))
            } else {
                let topic = pattern.description
                positioned.insert(topic)
                result.ack.append(position(sub, topic: topic, since: since[topic], replay: &result.replay))
            }
        }
        // `since` for concrete topics under a wildcard subscription.
        for (topic, pos) in since.sorted(by: { $0.key < $1.key }) where !positioned.contains(topic) {
            guard patterns.contains(where: { $0.matches(topic) }) else { continue }
            result.ack.append(position(sub, topic: topic, since: pos, replay: &result.replay))
        }
        return result
    }

    private func position(_ sub: HubSubscriber, topic: String, since: StreamPosition?, replay: inout [SharedBytes]) -> SubscribeAckEntry {
        let nowMs = now()
        return shard(topic).withLock { topics in
            let state = topics[topic] ?? {
                let s = TopicState(topic: topic, limits: settings.history, nowMs: nowMs)
                topics[topic] = s
                return s
            }()
            let flushed = state.flushedSeq
            sub.skipUpTo[topic] = StreamPosition(epoch: state.log.epoch, seq: flushed)
            guard let since else {
                return SubscribeAckEntry(topic: topic, epoch: state.log.epoch, seq: flushed)
            }
            // Events after `flushedSeq` are still pending: they reach this subscriber live.
            if since.epoch == state.log.epoch, since.seq <= flushed,
               case .replay(let events) = state.log.recover(since: (since.epoch, since.seq), nowMs: nowMs) {
                let upTo = events.filter { $0.seq <= flushed }
                var acc = BatchAccumulator(topic: topic, epoch: state.log.epoch)
                for e in upTo {
                    acc.append(e)
                    if acc.isFull(maxEvents: settings.batchMaxEvents, maxBytes: settings.batchMaxBytes),
                       let f = acc.takeFrame() { replay.append(SharedBytes(f.frame)) }
                }
                if let f = acc.takeFrame() { replay.append(SharedBytes(f.frame)) }
                counters.recoveries.add(1, ordering: .relaxed)
                return SubscribeAckEntry(topic: topic, epoch: state.log.epoch, seq: flushed, recovered: true)
            }
            counters.recoveriesFailed.add(1, ordering: .relaxed)
            return SubscribeAckEntry(topic: topic, epoch: state.log.epoch, seq: flushed, recovered: false)
        }
    }

    public func unsubscribe(_ sub: HubSubscriber, patterns: [TopicPattern]) {
        let index = indexes[sub.loop.index]
        for p in patterns {
            if index.remove(sub, pattern: p) { counters.subscriptions.subtract(1, ordering: .relaxed) }
            if !p.isWildcard { sub.skipUpTo[p.description] = nil }
        }
    }

    /// Drops every subscription of a closed connection. Call on `sub.loop`.
    public func removeSubscriber(_ sub: HubSubscriber) {
        let n = indexes[sub.loop.index].removeAll(sub)
        if n > 0 { counters.subscriptions.subtract(n, ordering: .relaxed) }
    }

    // MARK: introspection

    public var topicCount: Int { shards.reduce(0) { n, s in n + s.withLock { $0.count } } }

    /// Drops expired history everywhere (a timer calls this for idle topics), and forgets topics
    /// idle for longer than the history TTL whose history is gone: a long-running server sees
    /// one topic per conversation, and an idle topic's memory would otherwise stay forever. A
    /// topic published to again starts with a new epoch, which is what "history lost" means.
    public func evictExpired() {
        let nowMs = now()
        let idleLimit = max(settings.history.ttlMs, 60_000)
        var dropped = 0
        for s in shards {
            s.withLock { topics in
                var idle: [String] = []
                for (name, state) in topics {
                    state.log.evictExpired(nowMs: nowMs)
                    if state.log.historyCount == 0, state.pending.isEmpty, !state.flushArmed,
                       nowMs - state.lastActivityMs > idleLimit {
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
    let topics = Mutex<[String: TopicState]>([:])

    func withLock<R>(_ body: (inout [String: TopicState]) throws -> R) rethrows -> R {
        try topics.withLock { try body(&$0) }
    }
}

/// One topic: history and the pending batch. Guarded by its shard's lock.
final class TopicState: @unchecked Sendable {  // guarded by its shard's lock
    let topic: String
    var log: TopicLog
    var pending: BatchAccumulator
    /// Last seq handed to the loops in a frame.
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
