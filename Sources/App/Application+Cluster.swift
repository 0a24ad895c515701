// Wiring of the cluster backplane when SWITCHBOARD_REDIS_URL is set: the fan-out and presence
// conform to what the Cluster module needs, health shows the backplane, WebSockets close with
// 1012 when it is lost, and alert rules run on the node holding the lease.
import Cluster
import Hub
import Observability
import Reactor
import Ops
import Server

extension HubFanout: ClusterDelivery {}
extension PresenceHub: ClusterPresence {}

extension Application {
    /// nil without SWITCHBOARD_REDIS_URL (single node, in-memory hub).
    /// The backplane runs on a loop of its own (`loop`, not one of the server's): its round trips
    /// then do not wait behind fan-out work, which is what bounds a publisher's rate.
    static func makeBackplane(config: Configuration, nodeID: String, server: Server, hub: HubFanout, loop: EventLoop,
                              presence: PresenceHub, health: HealthMonitor, alerts: AlertMonitor) throws -> RedisBackplane? {
        guard let configured = config.cluster.redis else { return nil }
        guard let url = configured.resolved() else {
            throw ConfigurationError(message: "invalid SWITCHBOARD_REDIS_URL: host '\(configured.host)' does not resolve")
        }
        var settings = RedisBackplane.Settings(nodeID: nodeID, url: url, history: hub.settings.history)
        settings.presenceTTLMs = Int64(config.cluster.presenceTTLSeconds) * 1000
        let backplane = RedisBackplane(settings: settings, loop: loop, delivery: hub)
        backplane.attach(presence: presence)
        presence.relay = backplane
        hub.backplane = backplane
        backplane.onDown = {
            // Clients move to a node that still has Redis and recover there with `since`; the
            // health report turns `hub` error at once so the load balancer drains this node.
            server.closeWebSockets(code: CloseCodes.serviceRestart, reason: "cluster backplane lost")
            health.checkSoon()
            alerts.evaluateSoon()
        }
        backplane.onUp = {
            health.checkSoon()
            alerts.evaluateSoon()
        }
        health.backplaneHealth = { [weak backplane] in
            guard let backplane else { return (false, [:]) }
            let d = backplane.healthDetails
            return (d.connected, [
                "backend": .string("redis"), "redis_connected": .bool(d.connected), "lag_ms": .int(Int64(d.lagMs)),
                // Details hold scalars only: the node ids travel as one comma-joined string (ids
                // cannot hold a comma: ClusterSettings.isNodeID); `nodes_seen` counts the others.
                "nodes": .string(d.nodes.joined(separator: ",")), "nodes_seen": .int(Int64(d.nodes.count - 1)),
                "alert_lease": .bool(d.leader),
                "publish_round_trips": .int(Int64(d.roundTrips)), "events_published": .int(Int64(d.events)),
            ])
        }
        alerts.clusterGate = AlertMonitor.ClusterGate(
            isLeader: { [weak backplane] in backplane?.holdsLease ?? false },
            backplaneDown: { [weak backplane] in !(backplane?.isUp ?? true) },
            share: { [weak backplane] list in backplane?.shareAlerts(list) },
            shared: { [weak backplane] in backplane?.sharedAlerts })
        return backplane
    }
}
