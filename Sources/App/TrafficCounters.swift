// Running totals the alert rules turn into rates: HTTP answers (all and 5xx), webhook
// signature failures, and webhooks refused because the integration is not configured. Atomics, bumped on the loop threads.
import Synchronization

final class TrafficCounters: Sendable {
    let httpResponses = Atomic<Int>(0)
    let http5xx = Atomic<Int>(0)
    let signatureFailures = Atomic<Int>(0)
    let webhooksRefusedUnconfigured = Atomic<Int>(0)

    init() {}
}
