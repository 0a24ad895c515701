// Presence across the reactor loops: the roster (Hub's PresenceRoster) behind one lock, and per
// loop the connections that watch a topic's presence. A change is encoded once and the same
// text is sent to every watcher, on each watcher's own loop (as an ordinary text message, so
// each connection's framing and compression apply; presence changes are rare next to events). Changes are handed to the loops
// while the roster's lock is held, so every watcher sees one topic's changes in the same order.
// Clustered, a `PresenceRelay` carries this node's changes to the others and `applyRemote`
// brings theirs in; alone, presence needs nothing else.
import Hub
import Locks
import Reactor
import Synchronization

/// A connection that receives presence frames. Loop-confined.
public protocol PresenceWatcher: AnyObject {
    var loop: EventLoop { get }
    func sendPresence(_ text: [UInt8])
}


public final class PresenceHub: @unchecked Sendable {
    // `roster` is behind its lock; each lane is touched only on its loop; `relay` is set once
    // before the server accepts.
    public let nodeID: String
    private let roster: Locked<PresenceRoster>
    private let loops: [EventLoop]
    private let lanes: [WatcherLane]
    private let nextConnection = Atomic<Int>(0)
    public var relay: PresenceRelay?

    public init(nodeID: String, loops: [EventLoop]) {
        self.nodeID = nodeID
        self.loops = loops
        roster = Locked(PresenceRoster(localNode: nodeID))
        lanes = loops.map { _ in WatcherLane() }
    }

    /// A connection id unique on this node.
    public func newConnectionID() -> String {
        "c\(nextConnection.add(1, ordering: .relaxed).newValue)"
    }

    // MARK: local connections (on the watcher's loop)

    /// The watcher joins `topic`'s presence and starts receiving its changes (its own join first).
    public func join(_ topic: String, sub: String, conn: String, watcher: PresenceWatcher) {
        lanes[watcher.loop.index].add(watcher, topic: topic)
        let member = PresenceMember(sub: sub, conn: conn, node: nodeID)
        roster.withLock { r in
            if let change = r.join(topic, member) { broadcastLocked(change, local: true) }
        }
    }

    public func leave(_ topic: String, conn: String, watcher: PresenceWatcher) {
        lanes[watcher.loop.index].remove(watcher, topic: topic)
        roster.withLock { r in
            if let change = r.leave(topic, node: nodeID, conn: conn) { broadcastLocked(change, local: true) }
        }
    }

    /// The connection closed: it leaves every topic.
    public func leaveAll(conn: String, watcher: PresenceWatcher) {
        lanes[watcher.loop.index].removeAll(watcher)
        roster.withLock { r in
            for change in r.leaveAll(node: nodeID, conn: conn) { broadcastLocked(change, local: true) }
        }
    }

    public func members(_ topic: String) -> [PresenceCount] {
        roster.withLock { $0.members(topic) }
    }

    // MARK: other nodes (any thread)

    /// A change another node announced.
    public func applyRemote(joined: [(String, PresenceMember)], left: [(String, PresenceMember)], fromNode node: String, atMs: Int64) {
        roster.withLock { r in
            r.nodeSeen(node, atMs: atMs)
            for (topic, m) in joined {
                if let change = r.join(topic, m) { broadcastLocked(change, local: false) }
            }
            for (topic, m) in left {
                if let change = r.leave(topic, node: m.node, conn: m.conn) { broadcastLocked(change, local: false) }
            }
        }
    }

    /// Another node is alive (its heartbeat).
    public func nodeSeen(_ node: String, atMs: Int64) {
        roster.withLock { $0.nodeSeen(node, atMs: atMs) }
    }

    /// Drops the members of nodes silent for longer than `ttlMs`; returns how many nodes are known.
    @discardableResult
    public func expireSilentNodes(nowMs: Int64, ttlMs: Int64) -> Int {
        roster.withLock { r in
            for change in r.expireSilentNodes(nowMs: nowMs, ttlMs: ttlMs) { broadcastLocked(change, local: false) }
            return r.remoteNodes.count
        }
    }

    /// Drops every remote member (the backplane lost its state or this node lost the backplane).
    public func dropRemoteNodes() {
        roster.withLock { r in
            for node in r.remoteNodes { for change in r.dropNode(node) { broadcastLocked(change, local: false) } }
        }
    }

    /// Drops every member of one remote node (it announced itself again).
    public func dropNode(_ node: String) {
        guard node != nodeID else { return }
        roster.withLock { r in
            for change in r.dropNode(node) { broadcastLocked(change, local: false) }
        }
    }

    /// This node's memberships, to announce again after the backplane reconnects.
    public var localMemberships: [(topic: String, member: PresenceMember)] {
        roster.withLock { $0.localMemberships }
    }

    public var remoteNodes: [String] { roster.withLock { $0.remoteNodes } }

    // MARK: fan-out

    private func broadcastLocked(_ change: PresenceChange, local: Bool) {
        if local { relay?.announce(change) }
        var out: [UInt8] = []
        ProtocolCodec.appendPresenceChange(change, to: &out)
        let text = out
        let topic = change.topic
        for (i, loop) in loops.enumerated() {
            let lane = lanes[i]
            loop.execute { lane.send(text, topic: topic) }
        }
    }
}

/// One loop's presence watchers by topic. Loop-confined.
private final class WatcherLane: @unchecked Sendable {
    private var watchers: [String: [ObjectIdentifier: PresenceWatcher]] = [:]
    private var topicsOf: [ObjectIdentifier: Set<String>] = [:]

    func add(_ w: PresenceWatcher, topic: String) {
        let id = ObjectIdentifier(w)
        watchers[topic, default: [:]][id] = w
        topicsOf[id, default: []].insert(topic)
    }

    func remove(_ w: PresenceWatcher, topic: String) {
        let id = ObjectIdentifier(w)
        watchers[topic]?[id] = nil
        if watchers[topic]?.isEmpty == true { watchers[topic] = nil }
        topicsOf[id]?.remove(topic)
    }

    func removeAll(_ w: PresenceWatcher) {
        let id = ObjectIdentifier(w)
        for topic in topicsOf.removeValue(forKey: id) ?? [] {
            watchers[topic]?[id] = nil
            if watchers[topic]?.isEmpty == true { watchers[topic] = nil }
        }
    }

    func send(_ text: [UInt8], topic: String) {
        guard let list = watchers[topic] else { return }
        for w in list.values { w.sendPresence(text) }
    }
}
