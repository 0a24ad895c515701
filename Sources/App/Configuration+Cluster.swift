// The cluster's rows in the one SWITCHBOARD_* settings table: the node's name, Redis, presence.
import Cluster

public struct ClusterSettings: Sendable {
    /// SWITCHBOARD_NODE_ID; nil = generated at start.
    public var nodeID: String? = nil
    /// nil = the in-memory hub, single node.
    public var redis: RedisURL? = nil
    public var presenceTTLSeconds = 30

    public init() {}

    static func isNodeID(_ v: String) -> Bool {
        !v.isEmpty && v.utf8.count <= 64 && v.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
    }
}

extension Configuration {
    static let clusterSettings: [Setting] = [
        Setting(env: "SWITCHBOARD_NODE_ID", flag: nil, help: "this node's name in logs, /health and presence (default: generated at start)") { c, v in
            guard ClusterSettings.isNodeID(v) else { return "expected 1-64 letters, digits, '-', '_' or '.'" }
            c.cluster.nodeID = v; return nil
        },
        Setting(env: "SWITCHBOARD_REDIS_URL", flag: nil, help: "redis://[:password@]host:port[/db]: run as one node of a cluster (unset: in-memory hub, single node)") { c, v in
            guard let url = RedisURL(v) else { return "expected redis://[:password@]host:port[/db]" }
            c.cluster.redis = url; return nil
        },
        Setting(env: "SWITCHBOARD_PRESENCE_TTL_S", flag: nil, help: "seconds after which a silent node's presence members expire") { c, v in
            guard let n = Int(v), (2...3600).contains(n) else { return "expected an integer 2-3600" }
            c.cluster.presenceTTLSeconds = n; return nil
        },
    ]
}
