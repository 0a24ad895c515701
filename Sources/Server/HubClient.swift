// The hub side of one WebSocket connection: decodes protocol v1 requests, checks them against the
// connection's token, and talks to the engine. Lives on the connection's loop.
import Hub
import JSON
import Reactor
import WebSocket

final class HubClient: WebSocketEndpoint, HubSubscriber, PresenceWatcher {
    let engine: HubFanout
    let claims: TokenClaims
    let loop: EventLoop
    private weak var peer: WebSocketPeer?
    private var expiryTimer: TimerID?
    var skipUpTo: [String: StreamPosition] = [:]
    /// The token's access rules and the patterns this connection holds.
    private var gate: SubscriptionGate
    /// Presence of this node (nil: presence requests are refused).
    let presence: PresenceHub?
    /// This connection's id in presence frames; assigned at its first presence subscription.
    private var presenceConnectionID: String?
    /// Clustered, subscribe and publish wait for the backplane; requests that arrive meanwhile
    /// wait here, so replies keep request order. Publishes follow one another without waiting
    /// (the backplane answers them in order), so a publisher's events share round trips.
    private var awaitingSubscribe = false
    private var publishesInFlight = 0
    private var held: [Result<ClientOp, ProtocolError>] = []

    init(engine: HubFanout, claims: TokenClaims, loop: EventLoop, presence: PresenceHub? = nil) {
        self.engine = engine
        self.claims = claims
        self.loop = loop
        self.presence = presence
        gate = SubscriptionGate(claims: claims)
    }

    var queuedBytes: Int { peer?.queuedBytes ?? 0 }
    var bytesWritten: Int { peer?.bytesWritten ?? 0 }

    func sendFrame(_ frame: SharedBytes) { peer?.sendFrame(frame) }

    func closeSlowConsumer() {
        peer?.closeDiscardingOutput(code: CloseCodes.slowConsumer, reason: "slow consumer")
    }

    // MARK: WebSocketEndpoint

    func webSocketDidOpen(_ peer: WebSocketPeer) {
        self.peer = peer
        // The token stops being valid while connected: close with 4001 at its expiry.
        // Any `exp` a signed token carries is handled without overflow; a far-future one arms no timer.
        let delay: UInt64
        switch TokenLifetime.expiryTimer(exp: claims.exp, nowMilliseconds: MonotonicTime.wallMilliseconds()) {
        case .now: delay = 0  // expired between the handshake check and now
        case .after(let nanoseconds): delay = nanoseconds
        case .never: return
        }
        expiryTimer = loop.schedule(afterNanoseconds: delay) { [weak self] in
            self?.peer?.close(code: CloseCodes.unauthorized, reason: "token expired")
        }
    }

    func webSocket(_ peer: WebSocketPeer, didReceiveText text: [UInt8]) {
        let request = ProtocolCodec.decodeClient(text)
        if !held.isEmpty || mustWait(request) {
            held.append(request)
            return
        }
        handle(request)
    }

    private func mustWait(_ request: Result<ClientOp, ProtocolError>) -> Bool {
        if awaitingSubscribe { return true }
        if case .success(.publish) = request { return false }
        return publishesInFlight > 0
    }

    private func handle(_ request: Result<ClientOp, ProtocolError>) {
        switch request {
        case .failure(let e):
            sendError(id: e.id, code: e.code, message: e.message)
        case .success(let op):
            handle(op)
        }
    }

    /// The backplane answered: handle what arrived meanwhile, in order, until one must wait.
    private func resumeAfterBackplane() {
        while let next = held.first, !mustWait(next) {
            held.removeFirst()
            handle(next)
        }
    }

    func webSocket(_ peer: WebSocketPeer, didReceiveBinary data: [UInt8]) {
        sendError(id: nil, code: "bad_request", message: "protocol v1 uses JSON text frames only")
    }

    func webSocketDidClose(_ peer: WebSocketPeer) {
        if let t = expiryTimer { loop.cancel(t) }
        engine.removeSubscriber(self)
        if let presence, let conn = presenceConnectionID { presence.leaveAll(conn: conn, watcher: self) }
    }

    // MARK: requests

    private func handle(_ op: ClientOp) {
        switch op {
        case let .subscribe(id, topics, since, withPresence):
            if withPresence && presence == nil {
                sendError(id: id, code: "bad_request", message: "presence is not available on this endpoint")
                return
            }
            if let refusal = gate.admit(topics) {
                sendError(id: id, refusal)
                return
            }
            if let backplane = engine.backplane {
                awaitingSubscribe = true
                let me = LoopBound(self, loop: loop)
                let exact = topics.filter { !$0.isWildcard }.map(\.description)
                backplane.prepareSubscribe(topics: exact, since: since) {
                    me.execute { client in
                        client.awaitingSubscribe = false
                        client.completeSubscribe(id: id, topics: topics, since: since, withPresence: withPresence)
                        client.resumeAfterBackplane()
                    }
                }
                return
            }
            completeSubscribe(id: id, topics: topics, since: since, withPresence: withPresence)
        case let .unsubscribe(id, topics):
            engine.unsubscribe(self, patterns: topics)
            gate.release(topics)
            if let presence, let conn = presenceConnectionID {
                for t in topics where !t.isWildcard { presence.leave(t.description, conn: conn, watcher: self) }
            }
            var out: [UInt8] = []
            ProtocolCodec.appendAck(id: id, to: &out)
            peer?.sendText(out)
        case let .publish(id, topic, type, data):
            if let refusal = gate.publishRefusal {
                sendError(id: id, refusal)
                return
            }
            let events = [OutgoingEvent(topic: topic, type: type, data: data)]
            if engine.backplane != nil {
                publishesInFlight += 1
                let me = LoopBound(self, loop: loop)
                engine.publish(events, as: .external) { outcome in
                    me.execute { client in
                        client.publishesInFlight -= 1
                        client.answerPublish(id: id, topic: topic, outcome)
                        client.resumeAfterBackplane()
                    }
                }
                return
            }
            answerPublish(id: id, topic: topic, engine.publish(events, as: .external))
        case let .ping(id):
            var out: [UInt8] = []
            ProtocolCodec.appendPong(id: id, to: &out)
            peer?.sendText(out)
        case let .presence(id, topic):
            answerPresence(id: id, topic: topic)
        }
    }

    private func completeSubscribe(id: JSONValue?, topics: [TopicPattern], since: [String: StreamPosition], withPresence: Bool) {
        let result = engine.subscribe(self, patterns: topics, since: since)
        var out: [UInt8] = []
        ProtocolCodec.appendSubscribeAck(id: id, topics: result.ack, to: &out)
        peer?.sendText(out)
        for frame in result.replay { peer?.sendFrame(frame) }
        if withPresence { joinPresence(topics) }
    }

    private func answerPublish(id: JSONValue?, topic: String, _ outcome: PublishOutcome) {
        switch outcome {
        case .published(let seqs):
            var out: [UInt8] = []
            ProtocolCodec.appendPublishAck(id: id, topic: topic, seq: seqs.first ?? 0, to: &out)
            peer?.sendText(out)
        case .overloaded:
            sendError(id: id, code: "overloaded", message: "the hub is overloaded; retry later")
        case .unavailable:
            sendError(id: id, code: "backplane_unavailable", message: "the cluster backplane is unreachable; retry later")
        }
    }

    // MARK: presence

    /// After the ack (and replay), so the connection's own join is the first presence frame it sees.
    private func joinPresence(_ topics: [TopicPattern]) {
        guard let presence else { return }
        let conn = presenceConnectionID ?? presence.newConnectionID()
        presenceConnectionID = conn
        for t in topics { presence.join(t.description, sub: claims.sub, conn: conn, watcher: self) }
    }

    /// Any topic the token may read may be asked about, subscribed or not.
    private func answerPresence(id: JSONValue?, topic: String) {
        guard let presence else {
            sendError(id: id, code: "bad_request", message: "presence is not available on this endpoint")
            return
        }
        guard let pattern = TopicPattern(topic), claims.maySubscribe(pattern) else {
            sendError(id: id, code: "forbidden", message: "token does not allow \(topic)")
            return
        }
        var out: [UInt8] = []
        ProtocolCodec.appendPresenceAnswer(id: id, topic: topic, members: presence.members(topic), to: &out)
        peer?.sendText(out)
    }

    func sendPresence(_ text: [UInt8]) { peer?.sendText(text) }

    private func sendError(id: JSONValue?, _ refusal: ClientRefusal) {
        sendError(id: id, code: refusal.code, message: refusal.message)
    }

    private func sendError(id: JSONValue?, code: String, message: String) {
        var out: [UInt8] = []
        ProtocolCodec.appendError(id: id, code: code, message: message, to: &out)
        peer?.sendText(out)
    }
}

/// Close codes of wire protocol v1 beyond RFC 6455's (see Protocol/README.md).
public enum CloseCodes {
    static let unauthorized: UInt16 = 4001
    static let forbidden: UInt16 = 4003
    static let slowConsumer: UInt16 = 4008
    static let serverRestarting: UInt16 = 4009
    /// RFC 6455 "service restart": the node lost the cluster backplane; reconnect (to any node) with `since`.
    public static let serviceRestart: UInt16 = 1012
}
