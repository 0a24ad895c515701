// Evaluates the alert rules every interval on its own thread: gathers the inputs (breaker and
// token state from the sender, inbox age and dead letters, signature-failure and 5xx rates since
// the last round, the database check), publishes `alert.firing` / `alert.resolved` on `alerts`,
// and keeps the firing set for GET /api/alerts.
import Foundation
import Hub
import Logging
import Observability
import Store

public final class AlertMonitor: @unchecked Sendable {
    // `engine`, `stopped`, `wakeEarly` are guarded by `lock`; `last*` belong to the thread.
    private let reader: StoreReader
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
    private var stopped = false
    private var wakeEarly = false
    private var lastAtMs: Int64 = 0
    private var lastResponses = 0
    private var last5xx = 0
    private var lastSignatureFailures = 0
    static let topic = "alerts"

    public init(reader: StoreReader, hub: any EventPublisher, sources: HealthSources, traffic: TrafficCounters, health: HealthMonitor,
         metrics: SwitchboardMetrics, forwarder: AlertForwarder?, logger: Logger, intervalSeconds: Double, thresholds: AlertThresholds) {
        self.reader = reader
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

    public func start() {
        lastAtMs = RFC3339.nowMilliseconds()
        let t = Thread { [self] in
            while true {
                lock.lock()
                if !stopped && !wakeEarly { _ = lock.wait(until: Date().addingTimeInterval(intervalSeconds)) }
                wakeEarly = false
                let stop = stopped
                lock.unlock()
                if stop { return }
                evaluateOnce()
            }
        }
        t.name = "alert-rules"
        t.start()
    }

    public func stop() {
        lock.lock(); stopped = true; lock.signal(); lock.unlock()
    }

    /// Something alert-worthy just happened (a dead letter): evaluate now, not at the next tick.
    public func evaluateSoon() {
        lock.lock(); wakeEarly = true; lock.signal(); lock.unlock()
    }

    func evaluateOnce() {
        let now = RFC3339.nowMilliseconds()
        var inputs = AlertInputs()
        if let wa = sources.whatsApp {
            inputs.breakerState = wa.breakerState
            inputs.graphTokenRejected = wa.tokenRejected
        }
        if let (age, dead) = try? BoundedWait.read(reader, timeoutMs: 2000, { db in
            (try InboxStore.oldestUnprocessedAgeMs(db, nowMs: now), try HealthQueries.openDeadLetters(db))
        }) {
            inputs.inboxOldestAgeMs = age
            inputs.deadLetters = dead
        }
        let responses = traffic.httpResponses.load(ordering: .relaxed)
        let errors = traffic.http5xx.load(ordering: .relaxed)
        let sigFailures = traffic.signatureFailures.load(ordering: .relaxed)
        let elapsedMinutes = max(Double(now - lastAtMs) / 60_000, 1.0 / 600)
        inputs.httpRequestsInWindow = responses - lastResponses
        inputs.http5xxInWindow = errors - last5xx
        inputs.signatureFailuresPerMinute = Double(sigFailures - lastSignatureFailures) / elapsedMinutes
        (lastAtMs, lastResponses, last5xx, lastSignatureFailures) = (now, responses, errors, sigFailures)
        if let db = health.report?.services["database"], db.status != .ok {
            inputs.databaseOK = false
            if case .string(let e)? = db.details["error"] { inputs.databaseError = e }
        }

        lock.lock()
        let transitions = engine.evaluate(inputs, nowMs: now)
        let count = engine.firing.count
        lock.unlock()
        metrics.alertsFiring.record(count)
        for t in transitions { publish(t) }
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
