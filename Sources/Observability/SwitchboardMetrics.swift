// Every metric Switchboard exports, created once from one MetricsFactory (the App passes the
// Prometheus factory; tests may pass another). Names are contracts for dashboards and alerts.
//
// HTTP
//   switchboard_http_requests_total{method,route,status}        counter; route = matched pattern
//   switchboard_http_request_duration_seconds{method,route}     histogram
//   switchboard_http_connections                                gauge (open TCP connections)
// Webhooks
//   switchboard_webhooks_received_total                         counter (POST /webhooks/whatsapp)
//   switchboard_webhooks_verified_total                         counter (signature valid)
//   switchboard_webhooks_rejected_total{reason}                 counter (missing_signature|invalid_signature|too_large|not_configured)
// Inbox
//   switchboard_inbox_depth{status}                             gauge (pending|processing)
//   switchboard_inbox_oldest_age_seconds                        gauge
//   switchboard_inbox_processing_duration_seconds               histogram (one claimed batch)
//   switchboard_inbox_processed_total{outcome}                  counter (done|retry|dead)
//   switchboard_dead_letters                                    gauge (not replayed)
// Outbox and Graph API (the outbound sender increments these through `SwitchboardMetrics`)
//   switchboard_outbox_depth                                    gauge (queued|retrying|sending rows)
//   switchboard_outbox_sends_total{outcome}                     counter (sent|failed|retried)
//   switchboard_outbox_retries_total                            counter
//   switchboard_graph_request_duration_seconds{kind}            histogram (send|mark_read)
//   switchboard_graph_breaker_state                             gauge (0 closed, 1 half_open, 2 open)
// Hub
//   switchboard_hub_connections                                 gauge (WebSockets)
//   switchboard_hub_subscriptions                               gauge
//   switchboard_hub_topics                                      gauge
//   switchboard_hub_events_published_total                      counter
//   switchboard_hub_events_delivered_total                      counter (events x subscribers)
//   switchboard_hub_frames_written_total                        counter
//   switchboard_hub_bytes_written_total                         counter
//   switchboard_hub_batch_size                                  histogram (events per frame)
//   switchboard_hub_slow_consumer_closes_total                  counter
//   switchboard_hub_recoveries_total{result}                    counter (ok|failed)
// SQLite
//   switchboard_sqlite_commit_duration_seconds                  histogram (COMMIT, i.e. the fsync)
//   switchboard_sqlite_group_size                               histogram (jobs per commit)
//   switchboard_sqlite_commits_total                            counter
// Health and alerts
//   switchboard_health_status{service}                          gauge (0 ok, 1 degraded, 2 error)
//   switchboard_alerts_firing                                   gauge
//   switchboard_log_batch_entries_total                         counter (browser log lines)
import CoreMetrics
import Metrics
import Locks
import Synchronization

public final class SwitchboardMetrics: Sendable {
    /// Value-histogram buckets by metric name; the App hands these to its Prometheus factory.
    public static let valueBuckets: [String: [Double]] = [
        "switchboard_hub_batch_size": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        "switchboard_sqlite_group_size": [1, 2, 5, 10, 20, 50, 100, 200, 512],
    ]
    /// Duration buckets shared by every duration histogram: 0.5 ms to 10 s.
    public static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(5), .seconds(10),
    ]

    let factory: any MetricsFactory

    public let httpConnections: Gauge
    public let webhooksReceived: Counter
    public let webhooksVerified: Counter
    public let inboxPending: Gauge
    public let inboxProcessing: Gauge
    public let inboxOldestAgeSeconds: Gauge
    public let inboxProcessingDuration: Timer
    public let deadLetters: Gauge
    public let outboxDepth: Gauge
    public let outboxRetries: Counter
    public let graphBreakerState: Gauge
    public let hubConnections: Gauge
    public let hubSubscriptions: Gauge
    public let hubTopics: Gauge
    public let hubBatchSize: Recorder
    public let sqliteCommitDuration: Timer
    public let sqliteGroupSize: Recorder
    public let alertsFiring: Gauge
    public let logBatchEntries: Counter

    /// Counters that mirror totals kept elsewhere (hub atomics, writer stats): the last value
    /// seen, so each sample adds only the difference.
    private let mirrored = Locked<[String: (counter: Counter, last: Int)]>([:])
    /// Labelled metrics created on first use and kept (their label sets are small and fixed).
    private let labelled = Locked<[String: Counter]>([:])
    private let timers = Locked<[String: Timer]>([:])
    private let gauges = Locked<[String: Gauge]>([:])

    public init(factory: any MetricsFactory) {
        self.factory = factory
        httpConnections = Gauge(label: "switchboard_http_connections", factory: factory)
        webhooksReceived = Counter(label: "switchboard_webhooks_received_total", factory: factory)
        webhooksVerified = Counter(label: "switchboard_webhooks_verified_total", factory: factory)
        inboxPending = Gauge(label: "switchboard_inbox_depth", dimensions: [("status", "pending")], factory: factory)
        inboxProcessing = Gauge(label: "switchboard_inbox_depth", dimensions: [("status", "processing")], factory: factory)
        inboxOldestAgeSeconds = Gauge(label: "switchboard_inbox_oldest_age_seconds", factory: factory)
        inboxProcessingDuration = Timer(label: "switchboard_inbox_processing_duration_seconds", factory: factory)
        deadLetters = Gauge(label: "switchboard_dead_letters", factory: factory)
        outboxDepth = Gauge(label: "switchboard_outbox_depth", factory: factory)
        outboxRetries = Counter(label: "switchboard_outbox_retries_total", factory: factory)
        graphBreakerState = Gauge(label: "switchboard_graph_breaker_state", factory: factory)
        hubConnections = Gauge(label: "switchboard_hub_connections", factory: factory)
        hubSubscriptions = Gauge(label: "switchboard_hub_subscriptions", factory: factory)
        hubTopics = Gauge(label: "switchboard_hub_topics", factory: factory)
        hubBatchSize = Recorder(label: "switchboard_hub_batch_size", aggregate: true, factory: factory)
        sqliteCommitDuration = Timer(label: "switchboard_sqlite_commit_duration_seconds", factory: factory)
        sqliteGroupSize = Recorder(label: "switchboard_sqlite_group_size", aggregate: true, factory: factory)
        alertsFiring = Gauge(label: "switchboard_alerts_firing", factory: factory)
        logBatchEntries = Counter(label: "switchboard_log_batch_entries_total", factory: factory)
        // Present from the first scrape, so dashboards and rate() see a zero before the first event.
        for reason in ["missing_signature", "invalid_signature", "too_large", "not_configured"] { _ = webhookRejected(reason) }
        for outcome in ["done", "retry", "dead"] { _ = counter("switchboard_inbox_processed_total", [("outcome", outcome)]) }
        for outcome in ["sent", "failed", "retried"] { _ = outboxSend(outcome) }
        for result in ["ok", "failed"] { mirror("switchboard_hub_recoveries_total", [("result", result)], total: 0) }
    }

    // MARK: labelled metrics

    public func counter(_ name: String, _ dimensions: [(String, String)]) -> Counter {
        let key = Self.key(name, dimensions)
        return labelled.withLock { map in
            if let c = map[key] { return c }
            let c = Counter(label: name, dimensions: dimensions, factory: factory)
            map[key] = c
            return c
        }
    }

    public func timer(_ name: String, _ dimensions: [(String, String)]) -> Timer {
        let key = Self.key(name, dimensions)
        return timers.withLock { map in
            if let t = map[key] { return t }
            let t = Timer(label: name, dimensions: dimensions, factory: factory)
            map[key] = t
            return t
        }
    }

    public func gauge(_ name: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = Self.key(name, dimensions)
        return gauges.withLock { map in
            if let g = map[key] { return g }
            let g = Gauge(label: name, dimensions: dimensions, factory: factory)
            map[key] = g
            return g
        }
    }

    /// Called once per HTTP response: the counter and timer for a (method, route, status) are
    /// looked up by a small struct key, so the hot path builds no label strings.
    public func httpRequest(method: String, route: String, status: Int, durationNanoseconds: Int64) {
        let key = HTTPMetricKey(method: method, route: route, status: status)
        let pair = httpPairs.withLock { $0[key] } ?? {
            let p = (counter("switchboard_http_requests_total", [("method", method), ("route", route), ("status", String(status))]),
                     timer("switchboard_http_request_duration_seconds", [("method", method), ("route", route)]))
            httpPairs.withLock { $0[key] = p }
            return p
        }()
        pair.0.increment()
        pair.1.recordNanoseconds(durationNanoseconds)
    }

    struct HTTPMetricKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }
    private let httpPairs = Locked<[HTTPMetricKey: (Counter, Timer)]>([:])

    public func webhookRejected(_ reason: String) -> Counter {
        counter("switchboard_webhooks_rejected_total", [("reason", reason)])
    }

    public func inboxProcessed(_ outcome: String) -> Counter {
        counter("switchboard_inbox_processed_total", [("outcome", outcome)])
    }

    /// For the outbound sender: `sent`, `failed` (final) or `retried`.
    public func outboxSend(_ outcome: String) -> Counter {
        counter("switchboard_outbox_sends_total", [("outcome", outcome)])
    }

    /// For the outbound sender: one Graph call's latency; `kind` is `send` or `mark_read`.
    public func graphLatency(kind: String) -> Timer {
        timer("switchboard_graph_request_duration_seconds", [("kind", kind)])
    }

    public func healthStatus(service: String) -> Gauge {
        gauge("switchboard_health_status", [("service", service)])
    }

    /// Brings a counter up to `total`, a running total kept elsewhere. Totals never go down; if
    /// one does (a restarted source), the counter waits until it passes the old value.
    public func mirror(_ name: String, _ dimensions: [(String, String)] = [], total: Int) {
        let key = Self.key(name, dimensions)
        let (counter, delta) = mirrored.withLock { map -> (Counter, Int) in
            let entry = map[key] ?? (Counter(label: name, dimensions: dimensions, factory: factory), 0)
            map[key] = (entry.counter, max(entry.last, total))
            return (entry.counter, total - entry.last)
        }
        if delta > 0 { counter.increment(by: delta) }
    }

    static func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        var k = name
        for (n, v) in dimensions { k += "|\(n)=\(v)" }
        return k
    }
}
