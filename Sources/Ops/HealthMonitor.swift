// Background health checks: every interval, on its own thread, checks each service for real
// (database: write+read within a timeout; whatsapp: what the sender reported; inbox/outbox:
// depth, oldest age, dead letters; hub: connections, topics), keeps the last report for the
// endpoints, samples the gauges, and publishes every status change on `system.health`.
import Server
import Foundation
import Hub
import JSON
import Lifecycle
import Logging
import Observability
import Store

public final class HealthMonitor: BackgroundService, @unchecked Sendable {
    // `latest` is guarded by `lock`; the worker thread owns `previous`.
    private let store: any HealthStore
    private let hub: any EventPublisher & HubStatistics
    private let server: Server
    private let sources: HealthSources
    private let metrics: SwitchboardMetrics
    private let logger: Logger
    private let intervalSeconds: Double
    /// A check must not hang on the dependency it is checking.
    private let dbTimeout: Duration
    private let startedAtMs = RFC3339.nowMilliseconds()
    private let lock = NSCondition()
    private var latest: HealthReport?
    private var previous: HealthReport?
    static let topic = "system.health"

    private let version: String
    /// Set once before `start()`: this node's name, shown in every report.
    public var nodeID: String?
    /// Set once before `start()` when clustered: the backplane's state, merged into `hub` (not ok
    /// turns `hub` error, so /health/ready answers 503 and a load balancer drains the node).
    public var backplaneHealth: (@Sendable () -> (ok: Bool, details: [String: HealthDetail]))?

    public init(store: any HealthStore, hub: any EventPublisher & HubStatistics, server: Server, sources: HealthSources,
         metrics: SwitchboardMetrics, logger: Logger, intervalSeconds: Double, dbTimeoutMs: Int, version: String) {
        self.version = version
        self.store = store
        self.hub = hub
        self.server = server
        self.sources = sources
        self.metrics = metrics
        self.logger = logger
        self.intervalSeconds = intervalSeconds
        self.dbTimeout = .milliseconds(dbTimeoutMs)
    }

    /// The last report; the first check runs synchronously in `start()`, so there is always one
    /// once the server is listening.
    var report: HealthReport? { lock.lock(); defer { lock.unlock() }; return latest }

    public let serviceName = "health-monitor"
    private let worker = WorkerThread(name: "health-monitor")

    public func start() {
        checkOnce()
        let interval = intervalSeconds
        worker.start { [self] w in
            while w.sleep(seconds: interval) { checkOnce() }
        }
    }

    public func stop() {
        worker.stop()
    }

    /// Something health-relevant just changed (the backplane went down or came back): check now.
    public func checkSoon() {
        worker.wake()
    }

    func checkOnce() {
        let now = RFC3339.nowMilliseconds()
        let services: [String: ServiceHealth] = [
            "database": checkDatabase(),
            "whatsapp": checkWhatsApp(),
            "inbox": checkInbox(now: now),
            "outbox": checkOutbox(now: now),
            "hub": checkHub(),
        ]
        var report = HealthReport(services: services, timestampMs: now, version: version,
                                  uptimeSeconds: max(0, (now - startedAtMs) / 1000))
        report.node = nodeID
        for (name, s) in services {
            metrics.healthStatus(service: name).record(s.status == .ok ? 0 : s.status == .degraded ? 1 : 2)
        }
        lock.lock(); latest = report; lock.unlock()
        publishIfChanged(report)
        previous = report
    }

    private func publishIfChanged(_ report: HealthReport) {
        let prevStatuses = previous.map { p in p.services.mapValues(\.status) }
        let statuses = report.services.mapValues(\.status)
        guard prevStatuses != statuses || previous?.status != report.status else { return }
        var data: [UInt8] = Array(#"{"status":"#.utf8)
        JSONWriter.appendString(report.status.rawValue, to: &data)
        data.append(contentsOf: #","previous":"#.utf8)
        if let p = previous { JSONWriter.appendString(p.status.rawValue, to: &data) } else { data.append(contentsOf: "null".utf8) }
        data.append(contentsOf: #","services":"#.utf8)
        data.append(contentsOf: report.servicesJSON())
        data.append(UInt8(ascii: "}"))
        hub.awaitCapacity()
        hub.publish(topic: Self.topic, type: "health.changed", data: data)
        let level: Logger.Level = report.status == .ok ? .info : .warning
        logger.log(level: level, "health changed", metadata: [
            "health.status": "\(report.status.rawValue)", "health.previous": "\(previous?.status.rawValue ?? "none")",
        ])
    }

    // MARK: checks

    private func checkDatabase() -> ServiceHealth {
        let start = ContinuousClock.now
        let token = String(RFC3339.nowMilliseconds()) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        do {
            let store = self.store
            try StoreWait.result(timeout: dbTimeout) { store.writeProbe(token, completion: $0) }
            let read = try StoreWait.result(timeout: dbTimeout) { store.readProbe(completion: $0) }
            let ms = Self.milliseconds(ContinuousClock.now - start)
            guard read == token else {
                return ServiceHealth(status: .error, details: ["error": .string("probe read back a different value"), "latency_ms": .double(ms)])
            }
            let stats = store.statistics
            return ServiceHealth(status: .ok, details: [
                "latency_ms": .double(ms), "commits": .int(Int64(stats.commits)),
                "last_group_size": .int(Int64(stats.lastGroupSize)), "queued_jobs": .int(Int64(stats.queuedWrites)),
            ])
        } catch {
            return ServiceHealth(status: .error, details: ["error": .string(String("\(error)".prefix(300)))])
        }
    }

    private func checkWhatsApp() -> ServiceHealth {
        guard let wa = sources.whatsApp else {
            return ServiceHealth(status: .ok, details: ["configured": .bool(false), "breaker": .string("closed")])
        }
        metrics.graphBreakerState.record(wa.breakerState == "open" ? 2 : wa.breakerState == "half_open" ? 1 : 0)
        let status: HealthStatus = wa.tokenRejected || wa.breakerState == "open" ? .error
            : wa.breakerState == "half_open" ? .degraded : .ok
        var details: [String: HealthDetail] = [
            "configured": .bool(true), "breaker": .string(wa.breakerState), "token_rejected": .bool(wa.tokenRejected),
            "last_success": wa.lastSuccessMs.map { .string(RFC3339.format(milliseconds: $0)) } ?? .null,
            "last_failure": wa.lastFailureMs.map { .string(RFC3339.format(milliseconds: $0)) } ?? .null,
        ]
        if let code = wa.lastErrorCode { details["last_error_code"] = .int(Int64(code)) }
        return ServiceHealth(status: status, details: details)
    }

    private func checkInbox(now: Int64) -> ServiceHealth {
        do {
            let store = self.store
            let backlog = try StoreWait.result(timeout: dbTimeout) { store.inboxBacklog(nowMs: now, completion: $0) }
            let (depth, age, dead) = (backlog.depth, backlog.oldestUnprocessedAgeMs, backlog.openDeadLetters)
            metrics.inboxPending.record(depth.pending)
            metrics.inboxProcessing.record(depth.processing)
            metrics.inboxOldestAgeSeconds.record(Double(age ?? 0) / 1000)
            metrics.deadLetters.record(dead)
            // Backlog and dead letters are reported here and alerted on, but do not take the
            // instance out of rotation: it still takes webhooks safely.
            return ServiceHealth(status: .ok, details: [
                "pending": .int(Int64(depth.pending)), "processing": .int(Int64(depth.processing)),
                "oldest_age_ms": age.map { .int($0) } ?? .null, "dead_letters": .int(Int64(dead)),
            ])
        } catch {
            return ServiceHealth(status: .error, details: ["error": .string(String("\(error)".prefix(300)))])
        }
    }

    private func checkOutbox(now: Int64) -> ServiceHealth {
        do {
            let store = self.store
            let depth = try StoreWait.result(timeout: dbTimeout) { store.outboxDepth(nowMs: now, completion: $0) }
            metrics.outboxDepth.record(depth.active)
            return ServiceHealth(status: .ok, details: [
                "depth": .int(Int64(depth.active)), "failed": .int(Int64(depth.failed)),
                "oldest_age_ms": depth.oldestActiveAgeMs.map { .int($0) } ?? .null,
            ])
        } catch {
            return ServiceHealth(status: .degraded, details: ["error": .string(String("\(error)".prefix(300)))])
        }
    }

    private func checkHub() -> ServiceHealth {
        var health = ServiceHealth(status: .ok, details: [
            "connections": .int(Int64(server.webSocketCount)), "topics": .int(Int64(hub.topicCount)),
            "subscriptions": .int(Int64(hub.counters.subscriptions.load(ordering: .relaxed))),
        ])
        if let nodeID { health.details["node"] = .string(nodeID) }
        if let backplane = backplaneHealth?() {
            health.details.merge(backplane.details) { _, new in new }
            if !backplane.ok { health.status = .error }
        }
        return health
    }

    static func milliseconds(_ d: Duration) -> Double {
        let c = d.components
        return (Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15 * 1).rounded(toPlaces: 3)
    }
}

extension Double {
    fileprivate func rounded(toPlaces p: Int) -> Double {
        let m = pow(10, Double(p))
        return (self * m).rounded() / m
    }
}
