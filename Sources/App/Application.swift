// Wiring: builds the server from the configuration, registers the routes, and runs until a
// shutdown signal. The only place that knows every module.
import Cluster
import Crypto
import HTTP
import Hub
import Inbound
import Lifecycle
import Logging
import Metrics
import Observability
import Ops
import Outbound
import Prometheus
import Reactor
import Server
import Store
import WebSocket

public final class Application: @unchecked Sendable {
    // Fields are set once in init and then only read.
    public let config: Configuration
    public let server: Server
    public let hub: HubFanout
    /// This node's name (SWITCHBOARD_NODE_ID or generated) and its presence roster.
    public let nodeID: String
    public let presence: PresenceHub
    /// Socket.IO v4 at /socket.io/.
    public let socketIO: SocketIORoutes
    public let credentials: Credentials
    public let store: any SwitchboardStore
    /// Stops the store's threads (last, at shutdown).
    let closeStore: @Sendable () -> Void
    let storeSummary: String
    let processor: InboxProcessor
    /// Where every metric lands; the executable also bootstraps swift-metrics with
    /// `metricsFactory`, so library code using the global API reports here too.
    public let metricsRegistry = PrometheusCollectorRegistry()
    public let metricsFactory: PrometheusMetricsFactory
    public let metrics: SwitchboardMetrics
    /// The outbound sender reports its breaker state and Graph results here.
    public let healthSources = HealthSources()
    /// Totals of every SwitchboardMetrics counter, readable as numbers (GET /api/ops/summary).
    let counterTotals: CounterTotals
    let traffic = TrafficCounters()
    let healthMonitor: HealthMonitor
    let alertMonitor: AlertMonitor
    let alertForwarder: AlertForwarder?
    /// The Redis backplane when SWITCHBOARD_REDIS_URL is set (Application+Cluster.swift).
    public private(set) var backplane: RedisBackplane?
    /// The backplane's own loop thread (nil when single node).
    let backplaneLoops: EventLoopGroup?
    /// nil when SWITCHBOARD_WA_ACCESS_TOKEN is unset (sending off).
    let outboundSender: OutboundSender?
    let logger: Logger
    private lazy var services: ServiceGroup = makeServices()
    let startedAt = MonotonicTime.nanoseconds()
    public static let version = "0.1.0"

    public init(config: Configuration, logger: Logger) throws {
        self.config = config
        let nodeID = config.cluster.nodeID ?? "node-" + SecureRandom.hexString(bytes: 4)
        self.nodeID = nodeID
        // Every line this node logs names it, so logs of several nodes can be merged.
        var logger = logger
        logger[metadataKey: "node"] = "\(nodeID)"
        self.logger = logger
        credentials = try Credentials.load(config: config)
        server = try Server(settings: config.server, logger: logger)
        var factory = PrometheusMetricsFactory(registry: metricsRegistry)
        factory.valueHistogramBuckets = SwitchboardMetrics.valueBuckets
        factory.defaultDurationHistogramBuckets = SwitchboardMetrics.durationBuckets
        metricsFactory = factory
        // Counters also count into `counterTotals`, which the ops console's summary reads.
        let counterTotals = CounterTotals()
        self.counterTotals = counterTotals
        let metrics = SwitchboardMetrics(factory: CountingMetricsFactory(base: factory, totals: counterTotals))
        self.metrics = metrics
        var hs = HubSettings()
        hs.onFrameBuilt = { events in metrics.hubBatchSize.record(events) }
        hs.batchWindowMs = config.batchWindowMs
        hs.batchMaxEvents = config.batchMaxEvents
        hs.batchMaxBytes = config.batchMaxBytes
        hs.maxConnectionBuffer = config.maxConnectionBuffer
        hs.maxBacklogBytes = config.hubMaxBacklogBytes
        hs.history = HistoryLimits(maxEvents: config.historyMax, ttlMs: Int64(config.historyTTLSeconds) * 1000)
        hub = HubFanout(settings: hs, loops: server.loops)
        presence = PresenceHub(nodeID: nodeID, loops: server.loops)
        var sio = config.socketIO
        sio.engine.maxBufferedBytes = config.maxConnectionBuffer
        socketIO = SocketIORoutes(settings: sio, fanout: hub, auth: credentials.authenticator, server: server)
        let opened = try StoreOpening.open(config: config, metrics: metrics)
        store = opened.store
        closeStore = opened.close
        storeSummary = opened.summary
        processor = InboxProcessor(store: store, hub: hub, maxAttempts: config.inboxMaxAttempts, logger: logger, metrics: metrics)
        let o = config.observability
        healthMonitor = HealthMonitor(store: store, hub: hub, server: server, sources: healthSources, metrics: metrics,
                                      logger: logger, intervalSeconds: o.healthIntervalSeconds, dbTimeoutMs: o.healthDatabaseTimeoutMs,
                                      version: Self.version)
        healthMonitor.nodeID = nodeID
        if o.alertForwarding, let url = o.alertWebhookURL {
            alertForwarder = AlertForwarder(url: url, logger: logger)
        } else {
            alertForwarder = nil
        }
        var thresholds = AlertThresholds()
        thresholds.forMs = Int64(o.alertForSeconds * 1000)
        thresholds.inboxOldestAgeMs = Int64(o.alertInboxAgeSeconds * 1000)
        thresholds.signatureFailuresPerMinute = o.alertSignatureFailuresPerMinute
        thresholds.http5xxRatio = o.alert5xxRatio
        alertMonitor = AlertMonitor(store: store, hub: hub, sources: healthSources, traffic: traffic, health: healthMonitor,
                                    metrics: metrics, forwarder: alertForwarder, logger: logger,
                                    intervalSeconds: o.alertIntervalSeconds, thresholds: thresholds)
        let alertMonitor = self.alertMonitor
        processor.onDeadLetter = { alertMonitor.evaluateSoon() }
        let traffic = self.traffic
        server.onResponse = { method, route, status, ns in
            traffic.httpResponses.add(1, ordering: .relaxed)
            if status >= 500 { traffic.http5xx.add(1, ordering: .relaxed) }
            metrics.httpRequest(method: method, route: route, status: status, durationNanoseconds: Int64(clamping: ns))
        }
        outboundSender = config.outbound.accessToken == nil ? nil
            : OutboundSender(settings: config.outbound, store: store, hub: hub, logger: logger)
        if let sender = outboundSender {
            let sources = healthSources
            sources.registerWhatsAppSender()
            sender.observer = OutboundObserver(
                graphResult: { result in
                    metrics.graphLatency(kind: "send").recordNanoseconds(Int64(result.latencyMs * 1_000_000))
                    switch result {
                    case .success: sources.recordGraphSuccess(atMs: MonotonicTime.wallMilliseconds())
                    case .failure(let f, _, _):
                        var code: Int? = nil
                        if case .http(_, let c, _, _, _) = f { code = c }
                        sources.recordGraphFailure(atMs: MonotonicTime.wallMilliseconds(), code: code)
                    }
                },
                outcome: { outcome in
                    metrics.outboxSend(outcome).increment()
                    if outcome == "retried" { metrics.outboxRetries.increment() }
                },
                breaker: { state, openUntilMs in
                    sources.recordBreakerState(state.name, openUntilMs: openUntilMs)
                    metrics.graphBreakerState.record(state == .closed ? 0 : state == .halfOpen ? 1 : 2)
                })
        }
        backplaneLoops = config.cluster.redis == nil ? nil : try EventLoopGroup(count: 1)
        backplane = try backplaneLoops.flatMap { group in
            try Self.makeBackplane(config: config, nodeID: nodeID, server: server, hub: hub, loop: group.loops[0], presence: presence,
                               health: healthMonitor, alerts: alertMonitor)
        }
        registerRoutes()
    }

    private func registerRoutes() {
        let auth = credentials.authenticator
        OpsRoutes(health: healthMonitor, alerts: alertMonitor, registry: metricsRegistry, metrics: metrics, hub: hub,
                  store: store, server: server, auth: auth).register(on: server)
        BrowserLogRoutes(logger: logger, metrics: metrics, ratePerSecond: config.observability.logRatePerSecond,
                         burst: config.observability.logBurst).register(on: server)
        HubRoutes(fanout: hub, publisher: hub, auth: auth, presence: presence).register(on: server)
        PresenceRoutes(presence: presence, auth: auth).register(on: server)
        socketIO.register(on: server)
        let traffic = self.traffic
        WebhookRoutes(settings: config.webhook, store: store, processor: processor, logger: logger, metrics: metrics,
                      onSignatureFailure: { traffic.signatureFailures.add(1, ordering: .relaxed) },
                      onRefusedUnconfigured: { traffic.webhooksRefusedUnconfigured.add(1, ordering: .relaxed) }).register(on: server)
        ConversationRoutes(conversations: store, inbox: store, hub: hub, auth: auth, processor: processor).register(on: server)
        OutboundRoutes(store: store, hub: hub, auth: auth, sender: outboundSender,
                       defaultPhoneNumberID: config.outbound.defaultPhoneNumberID).register(on: server)
        StaticAssetRoutes.client.register(on: server)
        StaticAssetRoutes.console.register(on: server)
        OpsSummaryRoute(store: store, hub: hub, server: server, totals: counterTotals, traffic: traffic, sources: healthSources,
                        alerts: alertMonitor, health: healthMonitor, auth: auth).register(on: server)
        if let echo = config.echoPath {
            EchoEndpoint.register(on: server, path: echo)
        }
    }

    /// The background services in start order; `stop()` runs them down in reverse. Loops come
    /// first (everything publishes through them), the listener last (no client is accepted before
    /// the workers run), so shutdown drains clients first and closes the store last.
    private func makeServices() -> ServiceGroup {
        let group = ServiceGroup()
        let server = self.server, closeStore = self.closeStore
        group.add(ClosureService("reactor", start: { server.startLoops() }, stop: { server.stopLoops() }))
        group.add(ClosureService("store", stop: { closeStore() }))
        if let backplane, let loops = backplaneLoops {
            // Before the publishers: a node that reaches Redis starts healthy; one that does not
            // starts anyway (health `hub` error) and joins when Redis answers.
            group.add(ClosureService("redis-backplane", start: { loops.start(); backplane.start(); backplane.waitUntilUp(seconds: 3) },
                                     stop: { backplane.stop(); loops.stopAndJoin() }))
        }
        group.add(processor)
        if let outboundSender { group.add(outboundSender) }
        group.add(healthMonitor)
        if let alertForwarder { group.add(alertForwarder) }
        group.add(alertMonitor)
        // What the services published while starting (the first health report) becomes history
        // before the first client can subscribe, so no client receives it as a live event.
        let hub = self.hub
        let socketIO = self.socketIO
        group.add(ClosureService("http-listener", start: { hub.flushAll(); server.startAccepting() }, stop: { socketIO.shutdown(); server.shutdown() }))
        return group
    }

    public func start() throws {
        try server.bind()
        try services.startAll()
        logger.info("switchboard listening", metadata: [
            "http.host": "\(config.server.host)", "http.port": "\(server.boundPort)",
            "reactor.threads": "\(server.loops.count)", "data.dir": "\(config.dataDir)",
            "services": "\(services.names.joined(separator: ","))",
            "store": "\(storeSummary)",
            "console.url": "\(consoleURL)",
        ])
        if credentials.secretFromFile {
            logger.info("API key for POST /api/publish is in \(config.dataDir)/api_key")
        }
        let hub = self.hub
        server.loops[0].execute {
            // Expire idle topics' history even when nothing is published on them.
            func sweep() {
                hub.evictExpired()
                self.server.loops[0].schedule(afterNanoseconds: 10_000_000_000) { sweep() }
            }
            sweep()
        }
    }

    /// Where the ops console answers (IPv6 literals in brackets), for the start-up lines.
    var consoleURL: String {
        let host = config.server.host.contains(":") ? "[\(config.server.host)]" : config.server.host
        return "http://\(host):\(server.boundPort)/console"
    }

    /// Ready-to-use tokens so a fresh `make run` can be tried at once, for the executable to print
    /// to stdout; nil except on the start that generated the secret. Tokens are secrets: they are
    /// shown once and never logged (set SWITCHBOARD_AUTH_SECRET to manage the secret yourself, or
    /// mint more with `switchboard token`).
    public func firstStartNotice() -> String? {
        guard credentials.secretGenerated else { return nil }
        let ops = (try? credentials.token(sub: "ops", role: .ops, topics: ["*"], ttlSeconds: 86400)) ?? ""
        let agent = (try? credentials.token(sub: "agent", role: .agent, topics: ["inbox", "conversation.*"], ttlSeconds: 86400)) ?? ""
        return """
            new token secret in \(config.dataDir)/auth_secret; these tokens are shown only now:
            ops token (24 h, all topics): \(ops)
            agent token (24 h, inbox + conversation.*): \(agent)
            ops console: \(consoleURL) (log in there with the ops-role token above)

            """
    }

    /// Blocks until SIGTERM/SIGINT, then shuts down gracefully.
    public func runUntilSignal() {
        let signal = SignalWaiter.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        services.stopAll()
        logger.info("stopped")
    }
}
