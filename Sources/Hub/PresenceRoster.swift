// Who is present on which topic, without I/O: connections that subscribed with `"presence":true`,
// on this node and (clustered) on others. Every change comes back as a `PresenceChange`, the
// exact content of one `{"op":"presence","topic":..,"joined":[..],"left":[..]}` frame, so the
// caller only encodes and fans it out. Time is passed in: a node that stopped reporting is
// expired after a TTL, which is how a killed node's members disappear.

/// One connection present on a topic.
public struct PresenceMember: Sendable, Hashable {
    /// The token's `sub`.
    public var sub: String
    /// The connection's id, unique within its node.
    public var conn: String
    public var node: String

    public init(sub: String, conn: String, node: String) {
        self.sub = sub
        self.conn = conn
        self.node = node
    }
}

/// A member line of a presence answer: one `sub` with how many connections it has on the topic.
public struct PresenceCount: Sendable, Equatable {
    public var sub: String
    public var connections: Int

    public init(sub: String, connections: Int) {
        self.sub = sub
        self.connections = connections
    }
}

/// One presence frame's content.
public struct PresenceChange: Sendable, Equatable {
    public var topic: String
    public var joined: [PresenceMember]
    public var left: [PresenceMember]

    public init(topic: String, joined: [PresenceMember] = [], left: [PresenceMember] = []) {
        self.topic = topic
        self.joined = joined
        self.left = left
    }
}

/// Not thread-safe: the owner serialises access (a lock in Server's PresenceHub).
public struct PresenceRoster: Sendable {
    private struct ConnectionKey: Hashable {
        var node: String
        var conn: String
    }

    public let localNode: String
    private var topics: [String: [ConnectionKey: PresenceMember]] = [:]
    /// The topics each connection is present on, so a close leaves them all without a scan.
    private var byConnection: [ConnectionKey: Set<String>] = [:]
    /// Last time each remote node was heard from (unix ms).
    private var nodeSeenMs: [String: Int64] = [:]

    public init(localNode: String) {
        self.localNode = localNode
    }

    /// nil when the connection was already present on the topic (nothing to announce).
    public mutating func join(_ topic: String, _ member: PresenceMember) -> PresenceChange? {
        let key = ConnectionKey(node: member.node, conn: member.conn)
        guard topics[topic]?[key] == nil else { return nil }
        topics[topic, default: [:]][key] = member
        byConnection[key, default: []].insert(topic)
        return PresenceChange(topic: topic, joined: [member])
    }

    /// nil when the connection was not present on the topic.
    public mutating func leave(_ topic: String, node: String, conn: String) -> PresenceChange? {
        let key = ConnectionKey(node: node, conn: conn)
        guard let member = topics[topic]?.removeValue(forKey: key) else { return nil }
        if topics[topic]?.isEmpty == true { topics[topic] = nil }
        byConnection[key]?.remove(topic)
        if byConnection[key]?.isEmpty == true { byConnection[key] = nil }
        return PresenceChange(topic: topic, left: [member])
    }

    /// A connection closed: it leaves every topic it was on (one change per topic, sorted by topic).
    public mutating func leaveAll(node: String, conn: String) -> [PresenceChange] {
        let key = ConnectionKey(node: node, conn: conn)
        guard let held = byConnection[key] else { return [] }
        return held.sorted().compactMap { leave($0, node: node, conn: conn) }
    }

    /// A remote node reported (a heartbeat or any presence message).
    public mutating func nodeSeen(_ node: String, atMs: Int64) {
        guard node != localNode else { return }
        nodeSeenMs[node] = max(nodeSeenMs[node] ?? atMs, atMs)
    }

    /// Removes the members of every remote node not heard from for `ttlMs`, and forgets the node.
    /// Members learnt before any heartbeat of their node count from their first sighting.
    public mutating func expireSilentNodes(nowMs: Int64, ttlMs: Int64) -> [PresenceChange] {
        let silent = nodeSeenMs.filter { nowMs - $0.value > ttlMs }.map(\.key).sorted()
        return silent.flatMap { dropNode($0) }
    }

    /// Removes every member of `node` (it died, or Redis lost its state): one change per topic.
    public mutating func dropNode(_ node: String) -> [PresenceChange] {
        nodeSeenMs[node] = nil
        var byTopic: [String: [PresenceMember]] = [:]
        for key in byConnection.keys where key.node == node {
            for topic in byConnection[key] ?? [] {
                if let m = topics[topic]?.removeValue(forKey: key) { byTopic[topic, default: []].append(m) }
                if topics[topic]?.isEmpty == true { topics[topic] = nil }
            }
            byConnection[key] = nil
        }
        return byTopic.keys.sorted().map { topic in
            PresenceChange(topic: topic, left: byTopic[topic]!.sorted { $0.conn < $1.conn })
        }
    }

    /// The topic's members grouped by `sub`, sorted by `sub`.
    public func members(_ topic: String) -> [PresenceCount] {
        guard let entries = topics[topic] else { return [] }
        var counts: [String: Int] = [:]
        for m in entries.values { counts[m.sub, default: 0] += 1 }
        return counts.keys.sorted().map { PresenceCount(sub: $0, connections: counts[$0]!) }
    }

    /// This node's memberships (topic, member), for re-announcing after the backplane reconnects.
    public var localMemberships: [(topic: String, member: PresenceMember)] {
        var out: [(String, PresenceMember)] = []
        for (key, held) in byConnection where key.node == localNode {
            for topic in held.sorted() {
                if let m = topics[topic]?[key] { out.append((topic, m)) }
            }
        }
        return out.sorted { ($0.0, $0.1.conn) < ($1.0, $1.1.conn) }
    }

    /// Remote nodes currently known (heard from and not expired).
    public var remoteNodes: [String] { nodeSeenMs.keys.sorted() }
}

/// Carries this node's presence changes to the other nodes (the Redis backplane). Called with
/// the roster's lock held: hand the change off without blocking.
public protocol PresenceRelay: AnyObject, Sendable {
    func announce(_ change: PresenceChange)
}
