// Read-only endpoints for operators and probes: /health/live, /health/ready, /health (the last
// background report, never a fresh check), /metrics (Prometheus text) and /api/alerts (ops).
import Server
import HTTP
import Hub
import Observability
import Prometheus
import Reactor
import Store

public struct OpsRoutes {
    let health: HealthMonitor
    let alerts: AlertMonitor
    let registry: PrometheusCollectorRegistry
    let metrics: SwitchboardMetrics
    let hub: any HubStatistics
    let store: any HealthStore
    let server: Server
    let auth: Authenticator

    public init(health: HealthMonitor, alerts: AlertMonitor, registry: PrometheusCollectorRegistry, metrics: SwitchboardMetrics,
                hub: any HubStatistics, store: any HealthStore, server: Server, auth: Authenticator) {
        self.health = health
        self.alerts = alerts
        self.registry = registry
        self.metrics = metrics
        self.hub = hub
        self.store = store
        self.server = server
        self.auth = auth
    }

    public func register(on server: Server) {
        // Built once: liveness probes (and HTTP benchmarks) hit this path at high rates.
        let live = HTTPResponse.json(200, #"{"status":"ok"}"#)
        server.addRoute(.get, "/health/live") { _ in .response(live) }
        server.addRoute(.get, "/health/ready") { _ in self.report() }
        server.addRoute(.get, "/health") { _ in self.report() }
        server.addRoute(.get, "/metrics") { _ in self.scrape() }
        server.addRoute(.get, "/api/alerts") { ctx in self.listAlerts(ctx) }
    }

    func report() -> RouteResult {
        guard let r = health.report else {
            return .failure(APIError(status: 503, code: "health_unknown", message: "no health check has completed yet"))
        }
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        h.add("Cache-Control", "no-store")
        return .response(HTTPResponse(status: r.httpStatus, headers: h, body: r.json()))
    }

    func scrape() -> RouteResult {
        sample()
        var out: [UInt8] = []
        out.reserveCapacity(16 * 1024)
        registry.emit(into: &out)
        var h = HTTPHeaders()
        h.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        return .response(HTTPResponse(status: 200, headers: h, body: out))
    }

    /// Totals kept as atomics elsewhere are copied into the registry at scrape time.
    private func sample() {
        let c = hub.counters
        metrics.mirror("switchboard_hub_events_published_total", total: c.eventsPublished.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_events_delivered_total", total: c.eventsDelivered.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_frames_written_total", total: c.framesQueued.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_bytes_written_total", total: c.bytesQueued.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_slow_consumer_closes_total", total: c.slowConsumerCloses.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_publishes_refused_total", total: c.publishesRefused.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_publishes_delayed_total", total: c.publishesDelayed.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_recoveries_total", [("result", "ok")], total: c.recoveries.load(ordering: .relaxed))
        metrics.mirror("switchboard_hub_recoveries_total", [("result", "failed")], total: c.recoveriesFailed.load(ordering: .relaxed))
        metrics.mirror("switchboard_sqlite_commits_total", total: store.statistics.commits)
        metrics.hubSubscriptions.record(c.subscriptions.load(ordering: .relaxed))
        metrics.hubTopics.record(hub.topicCount)
        metrics.hubConnections.record(server.webSocketCount)
        metrics.httpConnections.record(server.connectionCount)
    }

    /// The firing alerts, oldest first: `{"alerts":[...]}`. Ops token or the API key.
    func listAlerts(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.ops]) { return .failure(e) }
        var out: [UInt8] = Array(#"{"alerts":"#.utf8)
        out.append(contentsOf: alerts.firingJSONArray)
        out.append(UInt8(ascii: "}"))
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        return .response(HTTPResponse(status: 200, headers: h, body: out))
    }
}
