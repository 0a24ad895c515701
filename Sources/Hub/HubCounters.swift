// Counters for metrics and benchmarks (relaxed atomics), shared by the core and its fan-out.
import Synchronization

public final class HubCounters: Sendable {
    public let eventsPublished = Atomic<Int>(0)
    public let framesBuilt = Atomic<Int>(0)
    public let framesQueued = Atomic<Int>(0)
    public let eventsDelivered = Atomic<Int>(0)
    public let bytesQueued = Atomic<Int>(0)
    public let slowConsumerCloses = Atomic<Int>(0)
    public let recoveries = Atomic<Int>(0)
    public let recoveriesFailed = Atomic<Int>(0)
    /// Recoveries answered `recovered:false` because the replay would not fit the connection's buffer.
    public let recoveriesOverBuffer = Atomic<Int>(0)
    public let subscriptions = Atomic<Int>(0)
    public let topicsDropped = Atomic<Int>(0)
    /// External publish requests refused with `overloaded`.
    public let publishesRefused = Atomic<Int>(0)
    /// Internal publishes that had to wait for the backlog to drop.
    public let publishesDelayed = Atomic<Int>(0)
    public init() {}
}
