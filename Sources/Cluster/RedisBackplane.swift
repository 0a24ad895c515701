// The hub across nodes, on Redis. Publishes from any thread are queued to the backplane's loop
// and sent at the end of its turn as one EVALSHA of the publish script (seq, history and
// announcement in one round trip for the whole batch). Every node, the publisher included,
// receives the announcements on its subscriber connection and ingests them into its own hub in
// seq order; a hole (a missed message) is refilled from the topic's history stream before
// anything later is delivered. Subscriptions first sync the topic from Redis, so `since` works
// on any node. Presence, heartbeats and the alert lease are in RedisBackplane+Liveness.swift.
//
// While Redis is unreachable: external publishes are refused (`unavailable`, 503), internal
// ones wait in order and go out when it returns; `onDown` lets the node close its WebSockets
// (1012) so clients move to a node that has Redis, and recover there with `since`.
@preconcurrency import Glibc
import Crypto
import Hub
import Locks
import Reactor
import Synchronization

public final class RedisBackplane: HubBackplane, PresenceRelay, @unchecked Sendable {
    public struct Settings: Sendable {
        public var nodeID: String
        public var url: RedisURL
        public var history: HistoryLimits
        public var presenceTTLMs: Int64 = 30_000
        /// Events per EVALSHA (a larger batch is split).
        public var maxBatch = 512
        public init(nodeID: String, url: RedisURL, history: HistoryLimits) {
            self.nodeID = nodeID
            self.url = url
            self.history = history
        }
    }

    // Immutable after init, or atomics; everything else is confined to `loop`.
    public let settings: Settings
    public let loop: EventLoop
    let commands: RedisConnection
    let subscriber: RedisConnection
    let delivery: ClusterDelivery
    public internal(set) var presence: ClusterPresence?
    /// Called on the loop when the backplane goes down / comes back.
    public var onDown: (@Sendable () -> Void)?
    public var onUp: (@Sendable () -> Void)?

    let upFlag = Atomic<Bool>(false)
    let leaseFlag = Atomic<Bool>(false)
    /// Round trips (EVALSHA calls) and events published through them, for the figures.
    public let publishRoundTrips = Atomic<Int>(0)
    public let eventsPublished = Atomic<Int>(0)
    let lagMs = Atomic<Int>(-1)
    /// The other nodes whose heartbeats this node hears, sorted (refreshed each tick).
    let remoteNodes = Locked<[String]>([])
    let sharedAlertsCache = Locked<[UInt8]?>(nil)

    var commandsReady = false
    var subscribed = false
    /// External publishes of this turn, sent at its end in one script call.
    var batch: [(events: [OutgoingEvent], completion: (@Sendable (PublishOutcome) -> Void)?)] = []
    var batchArmed = false
    /// Internal events waiting for Redis, in publish order, one batch in flight at a time; a
    /// failed batch is resent under its id, so a script that did run is not run twice.
    var held = HeldEvents()
    /// Topics being refilled after a hole, with the announcements that arrived meanwhile.
    var refilling: [String: [(epoch: String, event: EncodedEvent)]] = [:]
    var lastOwnHeartbeatMs: Int64 = 0
    var lastHeartbeatSentMs: Int64 = 0

    static let publishSHA = sha(BackplaneScripts.publish)
    static let syncSHA = sha(BackplaneScripts.sync)
    static let leaseSHA = sha(BackplaneScripts.lease)

    public init(settings: Settings, loop: EventLoop, delivery: ClusterDelivery) {
        self.settings = settings
        self.loop = loop
        self.delivery = delivery
        commands = RedisConnection(url: settings.url, loop: loop, name: "commands")
        subscriber = RedisConnection(url: settings.url, loop: loop, name: "announcements")
    }

    /// Set once before `start()`.
    public func attach(presence: ClusterPresence) { self.presence = presence }

    public var isUp: Bool { upFlag.load(ordering: .acquiring) }
    public var isAvailable: Bool { isUp }

    public func start() {
        loop.execute { [self] in
            commands.onUp = { [unowned self] in commandsUp() }
            commands.onDown = { [unowned self] in connectionLost() }
            subscriber.onUp = { [unowned self] in subscriberUp() }
            subscriber.onDown = { [unowned self] in connectionLost() }
            subscriber.onMessage = { [unowned self] _, payload in received(payload) }
            commands.start()
            subscriber.start()
            startTimers()
        }
    }

    public func stop() {
        loop.execute { [self] in
            commands.stop()
            subscriber.stop()
        }
    }

    // MARK: connection state (on the loop)

    private func commandsUp() {
        // Scripts first: every EVALSHA after them finds them even on a Redis restarted empty.
        for script in [BackplaneScripts.publish, BackplaneScripts.sync, BackplaneScripts.lease] {
            commands.send("SCRIPT", "LOAD", script) { _ in }
        }
        commands.send("PING") { [self] r in
            guard case .success = r else { return }
            commandsReady = true
            becameReadyIfBoth()
        }
    }

    private func subscriberUp() {
        subscriber.send("SUBSCRIBE", BackplaneScripts.channel) { [self] r in
            guard case .success(let v) = r, !v.isError else { subscriber.drop(); return }
            subscribed = true
            lastOwnHeartbeatMs = MonotonicTime.wallMilliseconds()
            becameReadyIfBoth()
        }
    }

    private func becameReadyIfBoth() {
        guard commandsReady, subscribed, !isUp else { return }
        upFlag.store(true, ordering: .releasing)
        announceSelf()
        sendHeld()
        onUp?()
    }

    private func connectionLost() {
        // Either connection lost is the backplane lost: publishing without hearing the
        // announcements (or the reverse) would break ordering guarantees.
        commands.drop()
        subscriber.drop()
        commandsReady = false
        subscribed = false
        refilling = [:]
        guard upFlag.exchange(false, ordering: .acquiringAndReleasing) else { return }
        leaseFlag.store(false, ordering: .releasing)
        presence?.dropRemoteNodes()
        remoteNodes.withLock { $0 = [] }
        onDown?()
    }

    // MARK: publishing

    public func publish(_ events: [OutgoingEvent], as kind: PublisherKind, completion: (@Sendable (PublishOutcome) -> Void)?) -> PublishOutcome {
        if kind == .external || completion != nil {
            guard isUp else {
                completion?(.unavailable)
                return .unavailable
            }
        }
        loop.execute { [self] in
            if let completion {
                batch.append((events, completion))
            } else {
                held.append(events)
            }
            armBatch()
        }
        return .published(events.map { _ in 0 })
    }

    private func armBatch() {
        guard !batchArmed else { return }
        batchArmed = true
        loop.atEndOfTurn { [self] in
            batchArmed = false
            sendBatch()
            sendHeld()
        }
    }

    /// External publishes of this turn: one script call (split only past `maxBatch`).
    private func sendBatch() {
        guard !batch.isEmpty else { return }
        let pending = batch
        batch = []
        guard isUp else {
            for p in pending { p.completion?(.unavailable) }
            return
        }
        var group: [(events: [OutgoingEvent], completion: (@Sendable (PublishOutcome) -> Void)?)] = []
        var count = 0
        for p in pending {
            if count + p.events.count > settings.maxBatch, !group.isEmpty {
                runScript(group)
                group = []
                count = 0
            }
            group.append(p)
            count += p.events.count
        }
        if !group.isEmpty { runScript(group) }
    }

    /// Internal events: sent in order, one batch at a time; a failed batch waits for Redis and
    /// goes out again first, under the same id (it may have run: the script answers a repeat
    /// with the seqs it assigned then, and appends and announces nothing).
    func sendHeld() {
        guard isUp, let batch = held.next(maxBatch: settings.maxBatch, newID: { SecureRandom.hexString(bytes: 12) }) else { return }
        runScript([(batch.events, nil)], batchID: batch.id, onFailure: { [self] in
            held.failed()
        }, onSuccess: { [self] in
            held.succeeded()
            sendHeld()
        })
    }

    /// `batchID` (internal batches only) makes the script idempotent: external publishes are
    /// never resent (their caller gets 503), so they skip the record.
    private func runScript(_ group: [(events: [OutgoingEvent], completion: (@Sendable (PublishOutcome) -> Void)?)],
                           batchID: String = "", onFailure: (() -> Void)? = nil, onSuccess: (() -> Void)? = nil) {
        let now = MonotonicTime.wallMilliseconds()
        var args: [[UInt8]] = [Array("EVALSHA".utf8), Array(Self.publishSHA.utf8), Array("0".utf8),
                               Array(String(settings.history.maxEvents).utf8),
                               Array(String(max(60, settings.history.ttlMs / 1000)).utf8),
                               Array(SecureRandom.hexString(bytes: 8).utf8), Array(BackplaneScripts.channel.utf8),
                               Array(BackplaneScripts.lastBatchKey(node: settings.nodeID).utf8), Array(batchID.utf8)]
        var total = 0
        for (events, _) in group {
            for e in events {
                args.append(Array(e.topic.utf8))
                args.append(Array(String(now).utf8))
                args.append(Announcement.eventTail(type: e.type, ts: now, data: e.data, meta: e.meta))
                total += 1
            }
        }
        publishRoundTrips.add(1, ordering: .relaxed)
        commands.send(args) { [self] reply in
            guard case .success(.array(let items?)) = reply, items.count == total * 2 else {
                if case .success(.error(let e)) = reply, e.hasPrefix("NOSCRIPT") { commands.drop() }  // reload scripts
                for (_, completion) in group { completion?(.unavailable) }
                onFailure?()
                return
            }
            eventsPublished.add(total, ordering: .relaxed)
            var index = 0
            for (events, completion) in group {
                let seqs = (0..<events.count).map { i in items[(index + i) * 2].integerValue ?? 0 }
                index += events.count
                completion?(.published(seqs))
            }
            onSuccess?()
        }
    }

    // MARK: receiving (on the loop)

    private func received(_ payload: [UInt8]) {
        guard let a = Announcement.decode(payload) else { return }
        switch a {
        case let .event(topic, epoch, seq, ts, encoded):
            deliver(topic, epoch, EncodedEvent(seq: seq, ts: ts, encoded: encoded))
        default:
            receivedControl(a)
        }
    }

    private func deliver(_ topic: String, _ epoch: String, _ event: EncodedEvent) {
        if refilling[topic] != nil {
            refilling[topic]!.append((epoch, event))
            return
        }
        if case .hole = delivery.ingest(topic: topic, epoch: epoch, event: event) {
            refilling[topic] = [(epoch, event)]
            sync([topic]) { [self] in
                let waiting = refilling.removeValue(forKey: topic) ?? []
                for (e, ev) in waiting {
                    if case .hole = delivery.ingest(topic: topic, epoch: e, event: ev) {
                        // History no longer reaches back: start again at this event (subscribers
                        // see the seq jump as a gap and reload).
                        delivery.align(topic: topic, epoch: e, seq: ev.seq - 1)
                        _ = delivery.ingest(topic: topic, epoch: e, event: ev)
                    }
                }
            }
        }
    }

    // MARK: subscribing

    public func prepareSubscribe(topics: [String], since: [String: StreamPosition], then: @escaping @Sendable () -> Void) {
        var wanted = topics
        for t in since.keys where !wanted.contains(t) { wanted.append(t) }
        let all = wanted
        loop.execute { [self] in
            guard isUp, !all.isEmpty else { then(); return }
            sync(all, then)
        }
    }

    /// Brings each topic up to Redis's position: ingests the history this node lacks (all of it
    /// in a new epoch), or aligns a topic with no newer history. One pipelined round trip.
    func sync(_ topics: [String], _ done: @escaping () -> Void) {
        var remaining = topics.count
        for topic in topics {
            let local = delivery.localPosition(of: topic)
            commands.send([Array("EVALSHA".utf8), Array(Self.syncSHA.utf8), Array("0".utf8), Array(topic.utf8),
                           Array((local?.epoch ?? "").utf8), Array(String(local?.seq ?? 0).utf8),
                           Array(String(max(1, settings.history.maxEvents)).utf8),
                           Array(SecureRandom.hexString(bytes: 8).utf8),
                           Array(String(max(60, settings.history.ttlMs / 1000)).utf8)]) { [self] reply in
                if case .success(.array(let parts?)) = reply, parts.count == 3 {
                    apply(topic: topic, parts)
                }
                remaining -= 1
                if remaining == 0 { done() }
            }
        }
    }

    private func apply(topic: String, _ parts: [RESPValue]) {
        guard let epoch = parts[0].stringValue, let seq = parts[1].integerValue, let flat = parts[2].arrayValue else { return }
        var i = 0
        var first = true
        while i + 2 < flat.count {
            guard let s = flat[i].integerValue, let ts = flat[i + 1].integerValue, let bytes = flat[i + 2].bytesValue else { break }
            let event = EncodedEvent(seq: s, ts: ts, encoded: bytes)
            if case .hole = delivery.ingest(topic: topic, epoch: epoch, event: event), first {
                delivery.align(topic: topic, epoch: epoch, seq: s - 1)
                _ = delivery.ingest(topic: topic, epoch: epoch, event: event)
            }
            first = false
            i += 3
        }
        delivery.align(topic: topic, epoch: epoch, seq: seq)
    }

    // MARK: figures

    /// For /health: connected, heartbeat lag, the nodes of the cluster as this node sees them
    /// (itself first, then the others it hears, sorted), lease, and publish round trips (the
    /// figure "Redis round trips per published event" is their ratio to events published).
    public var healthDetails: (connected: Bool, lagMs: Int, nodes: [String], leader: Bool, roundTrips: Int, events: Int) {
        (isUp, lagMs.load(ordering: .relaxed), [settings.nodeID] + remoteNodes.withLock { $0 }, leaseFlag.load(ordering: .relaxed),
         publishRoundTrips.load(ordering: .relaxed), eventsPublished.load(ordering: .relaxed))
    }

    /// Whether this node holds the once-per-cluster lease (alert rules).
    public var holdsLease: Bool { leaseFlag.load(ordering: .acquiring) }

    static func sha(_ script: String) -> String {
        Digest.sha1(Array(script.utf8)).map { b in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
        }.joined()
    }
}

extension RedisBackplane {
    /// Start-up only (never on a loop): waits, bounded, for the first connection.
    public func waitUntilUp(seconds: Double) {
        let deadline = MonotonicTime.nanoseconds() + UInt64(seconds * 1e9)
        while !isUp && MonotonicTime.nanoseconds() < deadline {
            var ts = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&ts, nil)
        }
    }
}
