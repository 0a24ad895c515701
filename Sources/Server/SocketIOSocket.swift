// The Socket.IO socket of namespace `/` on one Engine.IO session: CONNECT with a token (and
// optionally `batch` and the recovery pair `pid`/`offset`), the hub requests as events with acks,
// and the hub's frames out as events. It is the session's hub subscriber; the requests themselves
// are checked by the same codec and gate as /ws (SocketIOEventRequest, SubscriptionGate).
import Crypto
import Hub
import JSON
import Reactor
import SocketIO

final class SocketIOSocket: HubSubscriber {
    private unowned let connection: EngineIOConnection
    private var node: SocketIONode { connection.node }
    var loop: EventLoop { connection.loop }
    var skipUpTo: [String: StreamPosition] = [:]

    private(set) var isConnected = false
    private var sid = ""
    private var pid = ""
    private var batch = false
    private var gate: SubscriptionGate?
    private var trail = DeliveryTrail()
    private var expiryTimer: TimerID?
    /// Binary attachments still to come for a BINARY_EVENT (swallowed: the hub carries JSON).
    private var pendingAttachments = 0

    init(connection: EngineIOConnection) {
        self.connection = connection
    }

    // MARK: HubSubscriber

    var queuedBytes: Int { connection.queuedBytes }
    var bytesWritten: Int { connection.bytesWritten }

    func sendFrame(_ frame: SharedBytes) {
        guard isConnected, let t = node.transcoded(frame, loop: loop) else { return }
        trail.delivered(topic: t.events.topic, epoch: t.events.epoch, firstSeq: t.events.firstSeq, lastSeq: t.events.lastSeq)
        connection.send(t, batch: batch)
    }

    func closeSlowConsumer() {
        connection.close(.slowConsumer)
    }

    // MARK: packets from the client

    func received(_ packet: EngineIOPacket) {
        if packet.isBinary {
            guard pendingAttachments > 0 else { return connection.close(.parseError) }
            pendingAttachments -= 1
            return
        }
        // socket.io-parser refuses text while it waits for attachments.
        guard pendingAttachments == 0 else { return connection.close(.parseError) }
        switch SocketIOCodec.decode(packet.data) {
        case .failure:
            connection.close(.parseError)
        case .success(let p):
            handle(p)
        }
    }

    private func handle(_ p: SocketIOPacket) {
        if p.type == .connect {
            return connect(p)
        }
        guard p.namespace == "/", isConnected else { return }  // as the reference: no socket, ignored
        switch p.type {
        case .event:
            event(p)
        case .binaryEvent:
            pendingAttachments = p.attachments
            if let id = p.ackID {
                sendAck(id, SocketIOEventRequest.errorAck(ClientRefusal(code: "bad_request",
                    message: "binary events are not supported: the hub carries JSON")))
            }
        case .binaryAck:
            pendingAttachments = p.attachments
        case .disconnect:
            // The client leaves the namespace: not recoverable, as in Socket.IO.
            leave()
        case .connect, .ack, .connectError:
            break
        }
    }

    // MARK: CONNECT

    private func connect(_ p: SocketIOPacket) {
        guard p.namespace == "/" else {
            return connection.send(message(SocketIOCodec.connectError(namespace: p.namespace, message: "Invalid namespace")))
        }
        guard !isConnected else { return }
        let auth = p.payload
        guard let token = auth?["token"]?.stringValue, case .success(let claims) = node.auth.verify(token: token) else {
            return connection.send(message(SocketIOCodec.connectError(message: "unauthorized")))
        }
        batch = auth?["batch"]?.boolValue ?? false
        gate = SubscriptionGate(claims: claims)
        isConnected = true
        armExpiry(claims)
        if let oldPid = auth?["pid"]?.stringValue, let offsetText = auth?["offset"]?.stringValue,
           let saved = node.takeSaved(pid: oldPid), let offset = EventOffset(offsetText),
           let replay = restore(saved, offset: offset) {
            sid = saved.sid
            pid = saved.pid
            connection.send(message(SocketIOCodec.connect(sid: sid, pid: pid)))
            for frame in replay { sendFrame(frame) }
            return
        }
        sid = Self.newID()
        pid = Self.newID()
        connection.send(message(SocketIOCodec.connect(sid: sid, pid: pid)))
    }

    /// Re-subscribes a saved socket from the positions its client had reached; nil (nothing
    /// subscribed) unless every topic can be replayed from history, as `recovered` is all or nothing.
    private func restore(_ saved: SavedSocket, offset: EventOffset) -> [SharedBytes]? {
        guard let since = saved.trail.positions(asOf: offset), var gate, gate.admit(saved.patterns) == nil else { return nil }
        let result = node.fanout.subscribe(self, patterns: saved.patterns, since: since)
        guard result.ack.allSatisfy({ $0.wildcard || $0.recovered == true }) else {
            node.fanout.removeSubscriber(self)
            skipUpTo = [:]
            return nil
        }
        self.gate = gate
        for (topic, position) in since { trail.positioned(topic, at: position) }
        return result.replay
    }

    private func armExpiry(_ claims: TokenClaims) {
        let delay: UInt64
        switch TokenLifetime.expiryTimer(exp: claims.exp, nowMilliseconds: MonotonicTime.wallMilliseconds()) {
        case .now: delay = 0
        case .after(let ns): delay = ns
        case .never: return
        }
        expiryTimer = loop.schedule(afterNanoseconds: delay) { [weak self] in
            guard let self, self.isConnected else { return }
            self.expiryTimer = nil
            self.connection.send(self.message(SocketIOCodec.disconnect()))
            self.leave()
        }
    }

    // MARK: events

    private func event(_ p: SocketIOPacket) {
        guard let name = p.eventName else {
            if let id = p.ackID { sendAck(id, SocketIOEventRequest.errorAck(ClientRefusal(code: "unknown_event", message: "event names are strings"))) }
            return
        }
        switch SocketIOEventRequest.decode(name: name, arguments: p.eventArguments) {
        case .failure(let refusal):
            if let id = p.ackID { sendAck(id, SocketIOEventRequest.errorAck(refusal)) }
        case .success(let op):
            perform(op, ackID: p.ackID)
        }
    }

    private func perform(_ op: ClientOp, ackID: Int64?) {
        guard gate != nil else { return }
        switch op {
        case let .subscribe(_, topics, since, _):
            // Clustered, the topics are first brought up to the backplane's position, so `since`
            // recovers on any node; acks carry their id, so answering later keeps them matched.
            if let backplane = node.fanout.backplane {
                let me = LoopBound(self, loop: loop)
                let exact = topics.filter { !$0.isWildcard }.map(\.description)
                backplane.prepareSubscribe(topics: exact, since: since) {
                    me.execute { socket in socket.subscribeNow(topics, since: since, ackID: ackID) }
                }
                return
            }
            subscribeNow(topics, since: since, ackID: ackID)
        case let .unsubscribe(_, topics):
            guard var gate else { return }
            node.fanout.unsubscribe(self, gate: &gate, patterns: topics)
            self.gate = gate
            for t in topics where !t.isWildcard { trail.forget(t.description) }
            if let id = ackID { sendAck(id, Array("{}".utf8)) }
        case let .publish(_, topic, type, data):
            guard let gate else { return }
            if node.fanout.backplane != nil {
                publishClustered(gate: gate, topic: topic, type: type, data: data, ackID: ackID)
                return
            }
            let outcome = node.fanout.publish(gate: gate, topic: topic, type: type, data: data)
            guard let id = ackID else { return }
            switch outcome {
            case .failure(let refusal): sendAck(id, SocketIOEventRequest.errorAck(refusal))
            case .success(let seq): sendAck(id, Array(#"{"seq":\#(seq)}"#.utf8))
            }
        case .ping, .presence:
            break  // not Socket.IO events (decode never returns them)
        }
    }

    private func subscribeNow(_ topics: [TopicPattern], since: [String: StreamPosition], ackID: Int64?) {
        guard isConnected, var gate else { return }
        defer { self.gate = gate }
        switch node.fanout.subscribe(self, gate: &gate, patterns: topics, since: since) {
        case .failure(let refusal):
            if let id = ackID { sendAck(id, SocketIOEventRequest.errorAck(refusal)) }
        case .success(let result):
            for entry in result.ack where !entry.wildcard {
                let position = entry.recovered == true ? since[entry.topic] : nil
                trail.positioned(entry.topic, at: position ?? StreamPosition(epoch: entry.epoch, seq: entry.seq))
            }
            if let id = ackID { sendAck(id, SocketIOEventRequest.subscribeAck(result.ack)) }
            for frame in result.replay { sendFrame(frame) }
        }
    }

    /// Clustered publish: the seq comes from the backplane, the ack when it answers.
    private func publishClustered(gate: SubscriptionGate, topic: String, type: String, data: [UInt8], ackID: Int64?) {
        if let refusal = gate.publishRefusal {
            if let id = ackID { sendAck(id, SocketIOEventRequest.errorAck(refusal)) }
            return
        }
        let me = LoopBound(self, loop: loop)
        node.fanout.publish([OutgoingEvent(topic: topic, type: type, data: data)], as: .external) { outcome in
            guard let id = ackID else { return }
            me.execute { socket in
                switch outcome {
                case .published(let seqs):
                    socket.sendAck(id, Array(#"{"seq":\#(seqs.first ?? 0)}"#.utf8))
                case .overloaded:
                    socket.sendAck(id, SocketIOEventRequest.errorAck(ClientRefusal(code: "overloaded", message: "the hub is overloaded; retry later")))
                case .unavailable:
                    socket.sendAck(id, SocketIOEventRequest.errorAck(ClientRefusal(code: "backplane_unavailable", message: "the cluster backplane is unreachable; retry later")))
                }
            }
        }
    }

    private func sendAck(_ id: Int64, _ argument: [UInt8]) {
        connection.send(message(SocketIOCodec.ack(id: id, arguments: [argument])))
    }

    /// A Socket.IO packet inside an Engine.IO message packet.
    private func message(_ packet: [UInt8]) -> [UInt8] {
        [EngineIOPacketType.message.rawValue + UInt8(ascii: "0")] + packet
    }

    // MARK: ending

    /// The socket leaves the namespace; the Engine.IO session may go on.
    private func leave() {
        guard isConnected else { return }
        isConnected = false
        if let t = expiryTimer { loop.cancel(t); expiryTimer = nil }
        node.fanout.removeSubscriber(self)
        skipUpTo = [:]
        gate = nil
        trail = DeliveryTrail()
    }

    func engineClosed(_ reason: EngineIOCloseReason) {
        guard isConnected else { return }
        if reason.isRecoverable, let gate {
            node.save(SavedSocket(sid: sid, pid: pid, patterns: Array(gate.held), trail: trail))
        }
        leave()
    }

    private static func newID() -> String {
        Base64.encode(SecureRandom.bytes(15), urlSafe: true, padding: false)
    }
}
