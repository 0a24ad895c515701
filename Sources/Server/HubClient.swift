// The hub side of one WebSocket connection: decodes protocol v1 requests, checks them against the
// connection's token, and talks to the engine. Lives on the connection's loop.
import Hub
import JSON
import Reactor
import WebSocket

final class HubClient: WebSocketEndpoint, HubSubscriber {
    let engine: HubFanout
    let claims: TokenClaims
    let loop: EventLoop
    private weak var peer: WebSocketPeer?
    private var expiryTimer: TimerID?
    var skipUpTo: [String: StreamPosition] = [:]
    /// The token's access rules and the patterns this connection holds.
    private var gate: SubscriptionGate

    init(engine: HubFanout, claims: TokenClaims, loop: EventLoop) {
        self.engine = engine
        self.claims = claims
        self.loop = loop
        gate = SubscriptionGate(claims: claims)
    }

    var queuedBytes: Int { peer?.queuedBytes ?? 0 }
    var bytesWritten: Int { peer?.bytesWritten ?? 0 }

    func sendFrame(_ frame: SharedBytes) { peer?.sendFrame(frame) }
    var outboundDeflate: OutboundDeflate? { peer?.outboundDeflate }

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
        switch ProtocolCodec.decodeClient(text) {
        case .failure(let e):
            sendError(id: e.id, code: e.code, message: e.message)
        case .success(let op):
            handle(op)
        }
    }

    func webSocket(_ peer: WebSocketPeer, didReceiveBinary data: [UInt8]) {
        sendError(id: nil, code: "bad_request", message: "protocol v1 uses JSON text frames only")
    }

    func webSocketDidClose(_ peer: WebSocketPeer) {
        if let t = expiryTimer { loop.cancel(t) }
        engine.removeSubscriber(self)
    }

    // MARK: requests

    private func handle(_ op: ClientOp) {
        switch op {
        case let .subscribe(id, topics, since):
            if let refusal = gate.admit(topics) {
                sendError(id: id, refusal)
                return
            }
            let result = engine.subscribe(self, patterns: topics, since: since)
            var out: [UInt8] = []
            ProtocolCodec.appendSubscribeAck(id: id, topics: result.ack, to: &out)
            peer?.sendText(out)
            for frame in result.replay { peer?.sendFrame(frame) }
        case let .unsubscribe(id, topics):
            engine.unsubscribe(self, patterns: topics)
            gate.release(topics)
            var out: [UInt8] = []
            ProtocolCodec.appendAck(id: id, to: &out)
            peer?.sendText(out)
        case let .publish(id, topic, type, data):
            if let refusal = gate.publishRefusal {
                sendError(id: id, refusal)
                return
            }
            guard case .published(let seqs) = engine.publish([OutgoingEvent(topic: topic, type: type, data: data)], as: .external),
                  let seq = seqs.first else {
                sendError(id: id, code: "overloaded", message: "the hub is overloaded; retry later")
                return
            }
            var out: [UInt8] = []
            ProtocolCodec.appendPublishAck(id: id, topic: topic, seq: seq, to: &out)
            peer?.sendText(out)
        case let .ping(id):
            var out: [UInt8] = []
            ProtocolCodec.appendPong(id: id, to: &out)
            peer?.sendText(out)
        }
    }

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
enum CloseCodes {
    static let unauthorized: UInt16 = 4001
    static let forbidden: UInt16 = 4003
    static let slowConsumer: UInt16 = 4008
    static let serverRestarting: UInt16 = 4009
}
