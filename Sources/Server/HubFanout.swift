// The in-process hub: the pure HubCore plus the fan-out of its frames to the reactor loops.
// Each loop has its own subscription index and backlog gauge (touched only on that loop); a
// flushed frame is wrapped once in SharedBytes and the same bytes are queued to every subscriber.
// Admission under overload (isOverloaded, awaitCapacity, the backlog sweeps) is in
// HubFanout+Admission.swift.
import Hub
import Reactor

public final class HubFanout: EventPublisher, HubStatistics, @unchecked Sendable {
    // Immutable after init; loop-confined parts live in `lanes`, one per loop.
    public let core: HubCore
    public var settings: HubSettings { core.settings }
    public var counters: HubCounters { core.counters }
    let loops: [EventLoop]
    let lanes: [LoopLane]
    let admission: AdmissionPolicy
    let capacity = CapacitySignal()
    /// Set once before the server accepts, when clustered (HubFanout+Backplane.swift).
    public var backplane: HubBackplane?
    /// Longest an internal publisher waits for the backlog to drop before publishing anyway, so
    /// shutdown or a wedged reader can never hang the inbox or the sender for good.
    static let maxInternalWait: Duration = .seconds(10)

    public init(settings: HubSettings, loops: [EventLoop], wallClockMs: @escaping @Sendable () -> Int64 = MonotonicTime.wallMilliseconds) {
        core = HubCore(settings: settings, nowMs: wallClockMs)
        self.loops = loops
        admission = AdmissionPolicy(settings: settings)
        lanes = loops.map { [admission] _ in LoopLane(stallMs: settings.stallMs, behindBytes: admission.behindBytes) }
    }

    // MARK: EventPublisher (any thread)

    /// External publishers are refused while the backlog is over its bound; internal ones are
    /// always accepted (they hold back through `awaitCapacity()`).
    public func publish(_ events: [OutgoingEvent], as kind: PublisherKind) -> PublishOutcome {
        if let backplane { return backplane.publish(events, as: kind, completion: nil) }
        if kind == .external, isOverloaded {
            counters.publishesRefused.add(1, ordering: .relaxed)
            return .overloaded(retryAfterSeconds: admission.retryAfterSeconds)
        }
        let sink = LoopSink(fanout: self)
        return .published(events.map { e in
            let receipt = core.publish(topic: e.topic, type: e.type, data: e.data, meta: e.meta, to: sink)
            if let request = receipt.flush { armFlush(e.topic, request) }
            return receipt.seq
        })
    }

    /// Sends whatever is pending for `topic` now.
    public func flush(_ topic: String) {
        core.flush(topic, to: LoopSink(fanout: self))
    }

    /// Sends what is pending on every topic now (see `HubCore.flushAll`).
    public func flushAll() {
        core.flushAll(to: LoopSink(fanout: self))
    }

    private func homeLoop(_ topic: String) -> EventLoop {
        var h: UInt32 = 5381
        for b in topic.utf8 { h = (h &* 33) ^ UInt32(b) }
        return loops[Int(h % UInt32(loops.count))]
    }

    func armFlush(_ topic: String, _ request: FlushRequest) {
        switch request {
        case .endOfTurn:
            // At the end of this loop turn (or the home loop's next turn off-loop), so all events
            // published in one turn share a frame.
            if let here = loops.first(where: { $0.inEventLoop }) {
                here.atEndOfTurn { [self] in flush(topic) }
            } else {
                homeLoop(topic).execute { [self] in flush(topic) }
            }
        case .after(let ms):
            let ns = UInt64(ms) * 1_000_000
            let home = homeLoop(topic)
            if home.inEventLoop {
                home.schedule(afterNanoseconds: ns) { [self] in flush(topic) }
            } else {
                home.execute { [self] in
                    home.schedule(afterNanoseconds: ns) { [self] in flush(topic) }
                }
            }
        }
    }

    // MARK: delivery (on each loop)

    /// Called by the core with the topic's lock held: wraps the frame once and hands the same
    /// bytes to every loop that has subscribers, in seq order per topic.
    fileprivate func handOff(_ flushed: FlushedFrame) {
        let frame = SharedBytes(flushed.bytes)
        for (i, loop) in loops.enumerated() {
            let lane = lanes[i]
            if !lane.index.mayHaveSubscribers(flushed.topic) { continue }
            // Counted as backlog until delivered: a loop that falls behind holds frames here.
            let waiting = frame.count * lane.index.subscriptionCount
            lane.waitingBytes.add(waiting, ordering: .relaxed)
            loop.execute { [self] in
                lane.waitingBytes.subtract(waiting, ordering: .relaxed)
                deliver(flushed, frame: frame, lane: lane, loop: loop)
            }
        }
    }

    private func deliver(_ flushed: FlushedFrame, frame: SharedBytes, lane: LoopLane, loop: EventLoop) {
        let topic = flushed.topic
        let behindBytes = admission.behindBytes
        var sent = 0, nowBehind = 0
        lane.index.forEachSubscriber(of: topic) { sub in
            if let skip = sub.skipUpTo[topic], skip.epoch == flushed.epoch, flushed.lastSeq <= skip.seq { return }
            let queued = sub.queuedBytes
            if queued + frame.count > settings.maxConnectionBuffer {
                counters.slowConsumerCloses.add(1, ordering: .relaxed)
                sub.closeSlowConsumer()
                return
            }
            sub.sendFrame(frame)
            sent += 1
            if queued <= behindBytes && queued + frame.count > behindBytes { nowBehind += 1 }
        }
        if sent > 0 {
            counters.framesQueued.add(sent, ordering: .relaxed)
            counters.eventsDelivered.add(sent * flushed.events, ordering: .relaxed)
            counters.bytesQueued.add(sent * frame.count, ordering: .relaxed)
            // Publishers see the growth at once; the next sweep replaces these estimates with
            // measured figures (a refused burst between sweeps is what keeps readers under their bound).
            lane.readingQueuedBytes.add(sent * frame.count, ordering: .relaxed)
            if nowBehind > 0 { lane.crossedSinceSweep.add(nowBehind, ordering: .relaxed) }
            armSweep(lane, loop: loop)
        }
    }

    // MARK: subscriptions (on the subscriber's loop)

    public struct SubscribeResult {
        public var ack: [SubscribeAckEntry]
        /// Replayed history, as batch frames, to send right after the ack. It fits the
        /// connection's buffer (topics whose replay would not are answered `recovered:false`).
        public var replay: [SharedBytes]
    }

    /// Adds the subscriptions and computes positions and replay. Call on `sub.loop`.
    public func subscribe(_ sub: HubSubscriber, patterns: [TopicPattern], since: [String: StreamPosition]) -> SubscribeResult {
        let lane = lanes[sub.loop.index]
        for pattern in patterns where lane.index.add(sub, pattern: pattern) {
            counters.subscriptions.add(1, ordering: .relaxed)
        }
        let plan = core.plan(patterns: patterns, since: since, replayBudget: settings.maxConnectionBuffer - sub.queuedBytes)
        for (topic, position) in plan.deliveredUpTo { sub.skipUpTo[topic] = position }
        return SubscribeResult(ack: plan.ack, replay: plan.replay.map { SharedBytes($0) })
    }

    public func unsubscribe(_ sub: HubSubscriber, patterns: [TopicPattern]) {
        let index = lanes[sub.loop.index].index
        for p in patterns {
            if index.remove(sub, pattern: p) { counters.subscriptions.subtract(1, ordering: .relaxed) }
            if !p.isWildcard { sub.skipUpTo[p.description] = nil }
        }
    }

    /// Drops every subscription of a closed connection. Call on `sub.loop`.
    public func removeSubscriber(_ sub: HubSubscriber) {
        let n = lanes[sub.loop.index].index.removeAll(sub)
        if n > 0 { counters.subscriptions.subtract(n, ordering: .relaxed) }
    }

    // MARK: introspection and housekeeping

    public var topicCount: Int { core.topicCount }
    public func evictExpired() { core.evictExpired() }
    public func position(of topic: String) -> StreamPosition? { core.position(of: topic) }
}

/// The core's frame sink for this fan-out (a value, so a publish allocates no closure).
struct LoopSink: FrameSink {
    let fanout: HubFanout
    func frameFlushed(_ frame: FlushedFrame) { fanout.handOff(frame) }
}
