// Admission under overload: external publishers are refused while subscribers that are still
// reading are behind, internal ones wait in awaitCapacity(). Each loop measures its subscribers'
// queues in a sweep (every 5 ms while anything is queued) and publishes the figures in atomics
// that any publishing thread reads.
import Hub
import Reactor

extension HubFanout {
    /// Whether external publishers are refused now: the loops' latest backlog figures (measured by
    /// the sweeps, raised as frames are queued) judged by the AdmissionPolicy.
    public var isOverloaded: Bool {
        var all = BacklogReading()
        var crossed = 0
        for lane in lanes {
            crossed += lane.crossedSinceSweep.load(ordering: .relaxed)
            all.queuedBytes += lane.readingQueuedBytes.load(ordering: .relaxed) + lane.waitingBytes.load(ordering: .relaxed)
            all.readingSubscribers += lane.readingSubscribers.load(ordering: .relaxed)
            all.behindSubscribers += lane.behindSubscribers.load(ordering: .relaxed)
            all.stalledSubscribers += lane.stalledSubscribers.load(ordering: .relaxed)
        }
        return admission.isOverloaded(all, crossedSinceMeasured: crossed)
    }

    /// Waits (off the loops, which must never block) until the hub is not overloaded, at most
    /// `maxInternalWait`.
    public func awaitCapacity() {
        guard isOverloaded, !loops.contains(where: { $0.inEventLoop }) else { return }
        counters.publishesDelayed.add(1, ordering: .relaxed)
        let deadline = ContinuousClock.now + Self.maxInternalWait
        capacity.wait(until: deadline) { !self.isOverloaded }
    }

    // MARK: backlog sweeps (on each loop)

    /// How often a loop re-measures its subscribers' queues while any bytes are queued.
    static let sweepIntervalNs: UInt64 = 5_000_000

    func armSweep(_ lane: LoopLane, loop: EventLoop) {
        guard !lane.sweepArmed else { return }
        lane.sweepArmed = true
        loop.schedule(afterNanoseconds: Self.sweepIntervalNs) { [self] in
            lane.sweepArmed = false
            sweep(lane, loop: loop)
        }
    }

    /// Measures this loop's subscribers' queues; keeps measuring while anything is queued, and
    /// wakes waiting internal publishers once the hub is no longer overloaded.
    private func sweep(_ lane: LoopLane, loop: EventLoop) {
        let samples = lane.index.subscribers.map { (sub: any HubSubscriber) in
            BacklogGauge<ObjectIdentifier>.Sample(key: ObjectIdentifier(sub), queued: sub.queuedBytes, written: sub.bytesWritten)
        }
        let nowMs = Int64(MonotonicTime.nanoseconds() / 1_000_000)
        let reading = lane.gauge.sweep(nowMs: nowMs, samples)
        lane.readingQueuedBytes.store(reading.queuedBytes, ordering: .relaxed)
        lane.readingSubscribers.store(reading.readingSubscribers, ordering: .relaxed)
        lane.behindSubscribers.store(reading.behindSubscribers, ordering: .relaxed)
        lane.crossedSinceSweep.store(0, ordering: .relaxed)
        lane.stalledSubscribers.store(reading.stalledSubscribers, ordering: .relaxed)
        if reading.queuedBytes > 0 { armSweep(lane, loop: loop) }
        if !isOverloaded { capacity.signal() }
    }
}
