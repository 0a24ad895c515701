// One reactor loop's share of the hub fan-out, and the signal internal publishers wait on.
import Foundation
import Hub
import Synchronization

/// One loop's share of the fan-out: its subscription index and backlog gauge (loop-confined) and
/// the backlog figures publishers read from any thread.
final class LoopLane: @unchecked Sendable {
    let index = SubscriptionIndex<any HubSubscriber> { ObjectIdentifier($0) }
    var gauge: BacklogGauge<ObjectIdentifier>
    var sweepArmed = false
    let readingQueuedBytes = Atomic<Int>(0)
    let readingSubscribers = Atomic<Int>(0)
    let behindSubscribers = Atomic<Int>(0)
    let stalledSubscribers = Atomic<Int>(0)
    /// Readers that crossed the behind mark as frames were queued since the last sweep.
    let crossedSinceSweep = Atomic<Int>(0)
    let waitingBytes = Atomic<Int>(0)
    /// permessage-deflate compressors of this loop (hub frames compressed once per window size).
    let deflaters = LoopDeflaters()

    init(stallMs: Int64, behindBytes: Int) {
        gauge = BacklogGauge(stallMs: stallMs, behindBytes: behindBytes)
    }
}

/// Where internal publishers wait for the backlog to drop; the loops' sweeps wake them.
final class CapacitySignal: @unchecked Sendable {
    // NSCondition is itself thread-safe.
    private let condition = NSCondition()

    func signal() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once `ready()` holds or at `deadline`. Waits in short slices so a wake-up sent
    /// between the check and the wait costs at most one slice.
    func wait(until deadline: ContinuousClock.Instant, ready: () -> Bool) {
        condition.lock()
        defer { condition.unlock() }
        while !ready(), ContinuousClock.now < deadline {
            _ = condition.wait(until: Date().addingTimeInterval(0.01))
        }
    }
}
