// Running totals the alert rules turn into rates: HTTP answers (all and 5xx), webhook signature
// failures, and webhooks refused because the integration is not configured. Atomics, bumped on the loop threads.
import Synchronization

public final class TrafficCounters: Sendable {
    public let httpResponses = Atomic<Int>(0)
    public let http5xx = Atomic<Int>(0)
    public let signatureFailures = Atomic<Int>(0)
    public let webhooksRefusedUnconfigured = Atomic<Int>(0)

    public init() {}
}
