// GET /api/ops/summary: the ops console's numbers as JSON (ops token or the API key), so the page
// never parses Prometheus text. Reads what /health and /metrics read: the store's inbox and
// outbox figures (on its reader threads), counter totals, the hub's atomics and the sender's
// breaker state. The console polls it once a second, so it does two small queries and no more.
import HTTP
import Hub
import Observability
import Reactor
import Server
import Store

public struct OpsSummaryRoute {
    let store: any HealthStore
    let hub: any HubStatistics
    let server: Server
    let totals: CounterTotals
    let traffic: TrafficCounters
    let sources: HealthSources
    let alerts: AlertMonitor
    let health: HealthMonitor
    let auth: Authenticator

    public init(store: any HealthStore, hub: any HubStatistics, server: Server, totals: CounterTotals, traffic: TrafficCounters,
                sources: HealthSources, alerts: AlertMonitor, health: HealthMonitor, auth: Authenticator) {
        self.store = store
        self.hub = hub
        self.server = server
        self.totals = totals
        self.traffic = traffic
        self.sources = sources
        self.alerts = alerts
        self.health = health
        self.auth = auth
    }

    public static let path = "/api/ops/summary"

    public func register(on server: Server) {
        server.addRoute(.get, Self.path) { ctx in self.summary(ctx) }
    }

    func summary(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.ops]) { return .failure(e) }
        let now = MonotonicTime.wallMilliseconds()
        let memory = snapshot(nowMs: now)
        let sink = ctx.sink
        let store = self.store
        store.inboxBacklog(nowMs: now) { backlog in
            var s = memory
            switch backlog {
            case .failure(let e): return sink.fail(.storeFailure(code: e.code, message: e.message))
            case .success(let b):
                s.inbound.pending = b.depth.pending
                s.inbound.processing = b.depth.processing
                s.inbound.oldestPendingAgeMs = b.oldestUnprocessedAgeMs
                s.inbound.deadLetters = b.openDeadLetters
            }
            let withInbox = s
            store.outboxDepth(nowMs: now) { depth in
                var s = withInbox
                switch depth {
                case .failure(let e): return sink.fail(.storeFailure(code: e.code, message: e.message))
                case .success(let d):
                    s.outbound.depth = d.byStatus
                    s.outbound.oldestActiveAgeMs = d.oldestActiveAgeMs
                }
                var h = HTTPHeaders()
                h.add("Content-Type", "application/json")
                h.add("Cache-Control", "no-store")
                sink.respond(HTTPResponse(status: 200, headers: h, body: s.json()))
            }
        }
        return .deferred
    }

    /// Everything that is a read of memory, not of the store.
    func snapshot(nowMs: Int64) -> OpsSummary {
        var s = OpsSummary(nowMs: nowMs)
        s.inbound.webhooksReceived = totals.total("switchboard_webhooks_received_total")
        s.inbound.signatureFailures = Int64(traffic.signatureFailures.load(ordering: .relaxed))
        for outcome in ["done", "retry", "dead"] {
            s.inbound.processed[outcome] = totals.total("switchboard_inbox_processed_total", [("outcome", outcome)])
        }
        if let wa = sources.whatsApp {
            s.outbound.configured = true
            s.outbound.breaker = wa.breakerState
            s.outbound.breakerOpenUntilMs = wa.breakerOpenUntilMs
            s.outbound.lastSuccessMs = wa.lastSuccessMs
            s.outbound.lastFailureMs = wa.lastFailureMs
        }
        for outcome in ["sent", "failed", "retried"] {
            s.outbound.sends[outcome] = totals.total("switchboard_outbox_sends_total", [("outcome", outcome)])
        }
        let c = hub.counters
        s.hub.connections = server.webSocketCount
        s.hub.subscriptions = c.subscriptions.load(ordering: .relaxed)
        s.hub.topics = hub.topicCount
        s.hub.eventsPublished = c.eventsPublished.load(ordering: .relaxed)
        s.hub.eventsDelivered = c.eventsDelivered.load(ordering: .relaxed)
        s.hub.slowConsumerCloses = c.slowConsumerCloses.load(ordering: .relaxed)
        s.alertsFiring = alerts.firing.count
        s.healthJSON = health.report?.json()
        return s
    }
}
