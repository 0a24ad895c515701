// Evaluates the alert rules every interval on its own thread: gathers the inputs (breaker and
// token state from the sender, inbox age and dead letters, signature-failure and 5xx rates since
// the last round, the database check), publishes `alert.firing` / `alert.resolved` on `alerts`,
// and keeps the firing set for GET /api/alerts.
import Foundation
import Hub
import Lifecycle
import Logging
import Observability
import Store

public final class AlertMonitor: BackgroundService, @unchecked Sendable {
    // `engine` is guarded by `lock`; `last*` belong to the worker thread.
    private let store: any HealthStore
    private let hub: any EventPublisher
    private let sources: HealthSources
    private let traffic: TrafficCounters
    private let health: HealthMonitor
    private let metrics: SwitchboardMetrics
    private let forwarder: AlertForwarder?
    private let logger: Logger
    private let intervalSeconds: Double
    private let lock = NSCondition()
    private var engine: AlertEngine
    private var lastAtMs: Int64 = 0
    private var lastResponses = 0
    private var last5xx = 0
    private var lastSignatureFailures = 0
    private var lastRefusedUnconfigured = 0
    static let topic = "alerts"

    /// Clustered: rules are evaluated everywhere, but only the node holding the lease publishes
    /// and forwards, so each alert goes out once per cluster. `hub.backplane_down` is about the
    /// node itself (and no lease can be held without Redis): every node reports its own.
    public struct ClusterGate: Sendable {
        public var isLeader: @Sendable () -> Bool
        public var backplaneDown: @Sendable () -> Bool
        /// The leader shares its firing alerts (a JSON array) after each evaluation...
        public var share: @Sendable (_ firingJSONArray: [UInt8]) -> Void
        /// ...and the other nodes answer GET /api/alerts with the leader's list (nil: not known).
        public var shared: @Sendable () -> [UInt8]?
        public init(isLeader: @escaping @Sendable () -> Bool, backplaneDown: @escaping @Sendable () -> Bool,
                    share: @escaping @Sendable ([UInt8]) -> Void, shared: @escaping @Sendable () -> [UInt8]?) {
            self.isLeader = isLeader
            self.backplaneDown = backplaneDown
            self.share = share
            self.shared = shared
        }
    }
    /// Set once before `start()`.
    public var clusterGate: ClusterGate?
    static let nodeScopedAlerts: Set<String> = ["hub.backplane_down"]

    public init(store: any HealthStore, hub: any EventPublisher, sources: HealthSources, traffic: TrafficCounters, health: HealthMonitor,
         metrics: SwitchboardMetrics, forwarder: AlertForwarder?, logger: Logger, intervalSeconds: Double, thresholds: AlertThresholds) {
        self.store = store
        self.hub = hub
        self.sources = sources
        self.traffic = traffic
        self.health = health
        self.metrics = metrics
        self.forwarder = forwarder
        self.logger = logger
        self.intervalSeconds = intervalSeconds
        self.engine = AlertEngine(rules: AlertRule.standard(thresholds))
    }

    var firing: [Alert] { lock.lock(); defer { lock.unlock() }; return engine.firing }

    /// GET /api/alerts: the firing alerts as a JSON array. Clustered, every node answers with the
    /// lease holder's list, so the answer is the same everywhere; without the backplane (or before
    /// the leader shared anything) a node answers with its own.
    var firingJSONArray: [UInt8] {
        if let gate = clusterGate, !gate.backplaneDown(), !gate.isLeader(), let shared = gate.shared() { return shared }
        return Self.jsonArray(firing)
    }

    static func jsonArray(_ alerts: [Alert]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, a) in alerts.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: a.json())
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public let serviceName = "alert-rules"
    private let worker = WorkerThread(name: "alert-rules")

    public func start() {
        lastAtMs = RFC3339.nowMilliseconds()
        let interval = intervalSeconds
        worker.start { [self] w in
            while w.sleep(seconds: interval) { evaluateOnce() }
        }
    }

    public func stop() {
        worker.stop()
    }

    /// Something alert-worthy just happened (a dead letter): evaluate now, not at the next tick.
    public func evaluateSoon() {
        worker.wake()
    }

    func evaluateOnce() {
        let now = RFC3339.nowMilliseconds()
        var inputs = AlertInputs()
        if let wa = sources.whatsApp {
            inputs.breakerState = wa.breakerState
            inputs.graphTokenRejected = wa.tokenRejected
        }
        let store = self.store
        if let backlog = try? StoreWait.result(timeout: .seconds(2), { store.inboxBacklog(nowMs: now, completion: $0) }) {
            inputs.inboxOldestAgeMs = backlog.oldestUnprocessedAgeMs
            inputs.deadLetters = backlog.openDeadLetters
        }
        let responses = traffic.httpResponses.load(ordering: .relaxed)
        let errors = traffic.http5xx.load(ordering: .relaxed)
        let sigFailures = traffic.signatureFailures.load(ordering: .relaxed)
        // Read after the 5xx count: a refused webhook bumps this before its 503 is counted, so
        // every refusal among the 5xx read above is subtracted (a refusal whose 503 is not counted
        // yet can only make the ratio lower).
        let refusedUnconfigured = traffic.webhooksRefusedUnconfigured.load(ordering: .relaxed)
        let elapsedMinutes = max(Double(now - lastAtMs) / 60_000, 1.0 / 600)
        inputs.httpRequestsInWindow = responses - lastResponses
        inputs.http5xxInWindow = errors - last5xx
        inputs.signatureFailuresPerMinute = Double(sigFailures - lastSignatureFailures) / elapsedMinutes
        inputs.webhooksRefusedUnconfiguredInWindow = refusedUnconfigured - lastRefusedUnconfigured
        (lastAtMs, lastResponses, last5xx, lastSignatureFailures) = (now, responses, errors, sigFailures)
        lastRefusedUnconfigured = refusedUnconfigured
        if let db = health.report?.services["database"], db.status != .ok {
            inputs.databaseOK = false
            if case .string(let e)? = db.details["error"] { inputs.databaseError = e }
        }

        if let gate = clusterGate { inputs.backplaneDown = gate.backplaneDown() }
        lock.lock()
        let transitions = engine.evaluate(inputs, nowMs: now)
        let count = engine.firing.count
        lock.unlock()
        metrics.alertsFiring.record(count)
        let leader = clusterGate.map { $0.isLeader() } ?? true
        if leader, let gate = clusterGate, !gate.backplaneDown() {
            lock.lock()
            let list = engine.firing
            lock.unlock()
            gate.share(Self.jsonArray(list))
        }
        for t in transitions {
            let key: String
            switch t {
            case .firing(let a): key = a.key
            case .resolved(let a, _): key = a.key
            }
            if leader || Self.nodeScopedAlerts.contains(key) { publish(t) }
        }
    }

    private func publish(_ transition: AlertTransition) {
        hub.awaitCapacity()
        switch transition {
        case .firing(let alert):
            hub.publish(topic: Self.topic, type: "alert.firing", data: alert.json())
            logger.warning("alert firing", metadata: ["alert.key": "\(alert.key)", "alert.severity": "\(alert.severity.rawValue)"])
            forwarder?.forward(alert.text(resolved: false))
        case .resolved(let alert, let at):
            hub.publish(topic: Self.topic, type: "alert.resolved", data: alert.json(resolvedAtMs: at))
            logger.info("alert resolved", metadata: ["alert.key": "\(alert.key)"])
            forwarder?.forward(alert.text(resolved: true))
        }
    }
}
