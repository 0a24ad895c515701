// The backplane's periodic work, on its loop: heartbeats on the announcement channel (each node
// must hear its own within `deafAfterMs`, or its subscriber connection is dropped and made
// again: a node is never connected but deaf), presence across nodes (joins and leaves announced,
// other nodes' members expired when their heartbeats stop), and the once-per-cluster lease.
import Hub
import Reactor

extension RedisBackplane {
    static let heartbeatMs: Int64 = 1000
    static let deafAfterMs: Int64 = 5000
    static let leaseKey = "sb:lease:alerts"
    static let leaseTTLMs = 10_000
    static let alertsKey = "sb:alerts"

    /// The lease holder's firing alerts (a JSON array), kept for 30 s so a dead leader's list
    /// does not outlive the next one's first evaluation for long.
    public func shareAlerts(_ jsonArray: [UInt8]) {
        loop.execute { [self] in
            commands.send([Array("SET".utf8), Array(Self.alertsKey.utf8), jsonArray, Array("PX".utf8), Array("30000".utf8)]) { _ in }
        }
    }

    /// The last list the lease holder shared, as read by this node's last tick.
    public var sharedAlerts: [UInt8]? { sharedAlertsCache.withLock { $0 } }

    func startTimers() {
        tick()
    }

    private func tick() {
        _ = loop.schedule(afterNanoseconds: UInt64(Self.heartbeatMs) * 1_000_000) { [weak self] in
            guard let self else { return }
            onTick()
            tick()
        }
    }

    private func onTick() {
        let now = MonotonicTime.wallMilliseconds()
        if let presence {
            presence.expireSilentNodes(nowMs: now, ttlMs: settings.presenceTTLMs)
            let others = presence.remoteNodes.filter { $0 != settings.nodeID }
            remoteNodes.withLock { $0 = others }
        }
        guard isUp else { return }
        if now - lastOwnHeartbeatMs > Self.deafAfterMs {
            // Connected, but our own heartbeats stopped coming back: resubscribe from scratch.
            subscriber.drop()
            return
        }
        lastHeartbeatSentMs = now
        publishControl(.heartbeat(node: settings.nodeID, sentMs: now))
        commands.send([Array("EVALSHA".utf8), Array(Self.leaseSHA.utf8), Array("0".utf8), Array(Self.leaseKey.utf8),
                       Array(settings.nodeID.utf8), Array(String(Self.leaseTTLMs).utf8)]) { [self] reply in
            let held: Bool
            if case .success(.integer(1)) = reply { held = true } else { held = false }
            leaseFlag.store(held && isUp, ordering: .releasing)
        }
        commands.send("GET", Self.alertsKey) { [self] reply in
            if case .success(.bulk(let bytes)) = reply { sharedAlertsCache.withLock { $0 = bytes } }
        }
    }

    func publishControl(_ a: Announcement) {
        guard let bytes = a.encoded else { return }
        commands.send([Array("PUBLISH".utf8), Array(BackplaneScripts.channel.utf8), bytes]) { _ in }
    }

    /// After (re)connecting: ask the others for their members and tell them ours.
    func announceSelf() {
        publishControl(.hello(node: settings.nodeID))
        announceLocalMembers()
    }

    private func announceLocalMembers() {
        for (topic, m) in presence?.localMemberships ?? [] {
            publishControl(.joined(node: m.node, topic: topic, sub: m.sub, conn: m.conn))
        }
    }

    func receivedControl(_ a: Announcement) {
        let now = MonotonicTime.wallMilliseconds()
        switch a {
        case let .heartbeat(node, sentMs):
            if node == settings.nodeID {
                lastOwnHeartbeatMs = now
                lagMs.store(Int(max(0, now - sentMs)), ordering: .relaxed)
            } else {
                presence?.nodeSeen(node, atMs: now)
            }
        case let .hello(node):
            guard node != settings.nodeID else { return }
            // The node (re)joined: what we knew of its members may be stale (it closed its
            // connections when it lost Redis); its joins follow its hello on the same channel.
            presence?.dropNode(node)
            presence?.nodeSeen(node, atMs: now)
            announceLocalMembers()
        case let .joined(node, topic, sub, conn):
            guard node != settings.nodeID else { return }
            presence?.applyRemote(joined: [(topic, PresenceMember(sub: sub, conn: conn, node: node))], left: [], fromNode: node, atMs: now)
        case let .left(node, topic, sub, conn):
            guard node != settings.nodeID else { return }
            presence?.applyRemote(joined: [], left: [(topic, PresenceMember(sub: sub, conn: conn, node: node))], fromNode: node, atMs: now)
        case .event:
            break
        }
    }

    // MARK: PresenceRelay (any thread, with the roster's lock held)

    public func announce(_ change: PresenceChange) {
        let messages = change.joined.map { Announcement.joined(node: $0.node, topic: change.topic, sub: $0.sub, conn: $0.conn) }
            + change.left.map { Announcement.left(node: $0.node, topic: change.topic, sub: $0.sub, conn: $0.conn) }
        loop.execute { [self] in
            guard isUp else { return }  // announced again (announceSelf) when Redis returns
            for m in messages { publishControl(m) }
        }
    }
}
