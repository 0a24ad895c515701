// One Engine.IO session on its loop: performs what the pure EngineIOSession decides (answer the
// held poll, write WebSocket frames, arm the one timer) and hands message packets to the
// Socket.IO socket on top. Polling requests and an upgrading WebSocket may arrive on other loops;
// they are posted here (`onLoop`), and frames for a WebSocket on another loop are posted there.
import HTTP
import Hub
import Reactor
import SocketIO
import Synchronization
import WebSocket

final class EngineIOConnection: @unchecked Sendable {
    // Loop-confined: every member is touched only on `loop` (requests from elsewhere hop here).
    let sid: String
    let loop: EventLoop
    let node: SocketIONode
    private var engine: EngineIOSession
    private(set) var socket: SocketIOSocket!
    private var heldPoll: EngineIOResponder?
    private var webSocket: LinkedWebSocket?
    private var probe: LinkedWebSocket?
    private var timer: TimerID?
    private var timerDeadlineMs: Int64?
    private var connectTimer: TimerID?
    private(set) var isClosed = false
    /// The transport as other loops see it (request checks): set once the upgrade completes.
    private let upgraded = Atomic<Bool>(false)

    init(sid: String, transport: EngineIOTransportKind, loop: EventLoop, node: SocketIONode) {
        self.sid = sid
        self.loop = loop
        self.node = node
        initialTransport = transport
        engine = EngineIOSession(settings: node.settings.engine, transport: transport, nowMs: Self.nowMs())
        socket = SocketIOSocket(connection: self)
        armTimer()
        connectTimer = loop.schedule(afterNanoseconds: UInt64(node.settings.connectTimeoutMs) * 1_000_000) { [weak self] in
            guard let self, !self.socket.isConnected else { return }
            self.close(.forcedClose)
        }
    }

    static func nowMs() -> Int64 { Int64(MonotonicTime.nanoseconds() / 1_000_000) }

    var openPacket: [UInt8] {
        node.settings.engine.openPacket(sid: sid, upgrades: engine.transport == .polling ? ["websocket"] : [])
    }

    /// Any thread.
    var transportSnapshot: EngineIOTransportKind { upgraded.load(ordering: .relaxed) ? .websocket : initialTransport }
    private let initialTransport: EngineIOTransportKind

    /// Runs `body` on this session's loop (at once when already there).
    func onLoop(_ body: @escaping (EngineIOConnection) -> Void) {
        if loop.inEventLoop { body(self); return }
        let box = UncheckedBox(body)
        loop.execute { [self] in box.value(self) }
    }

    // MARK: output (used by the socket)

    /// Bytes waiting for this client: the poll buffer, or the WebSocket's queue.
    var queuedBytes: Int { engine.sendsDirectlyToWebSocket ? (webSocket?.queuedBytes ?? 0) : engine.bufferedBytes }
    /// Monotonic, as the hub's stall detection needs: bytes answered to polls plus the WebSocket's.
    var bytesWritten: Int { polledBytes + (webSocket?.bytesWritten ?? 0) }
    private var polledBytes = 0

    /// Queues Engine.IO packets in text form (several may be joined by 0x1E).
    func send(_ packets: [UInt8]) {
        perform(engine.send(packets))
    }

    /// A transcoded hub frame: straight to the WebSocket as shared bytes, else buffered for polling.
    func send(_ frame: TranscodedFrame, batch: Bool) {
        if engine.sendsDirectlyToWebSocket, let ws = webSocket {
            ws.send(frame.webSocket(batch: batch))
        } else {
            send(frame.polling(batch: batch))
        }
    }

    func close(_ reason: EngineIOCloseReason) {
        perform(engine.close(reason))
    }

    // MARK: polling

    /// A GET for this session. Answered at once when output is waiting, else held; a second
    /// concurrent poll gets 400 and the held one the close packet.
    func pollArrived(_ sink: EngineIOResponder) {
        var arriving: EngineIOResponder? = sink
        for action in engine.pollArrived() {
            switch action {
            case .rejectPoll:
                arriving?.respond(Self.errorResponse(.badRequest))
                arriving = nil
            case .answerPoll(let body):
                polledBytes += body.count
                if let held = heldPoll {
                    heldPoll = nil
                    held.respond(Self.pollingResponse(body))
                } else {
                    arriving?.respond(Self.pollingResponse(body))
                    arriving = nil
                }
            default:
                perform([action])
            }
        }
        if let arriving, engine.pollPending { heldPoll = arriving }
        finishActions()
    }

    func postArrived(_ body: [UInt8], sink: EngineIOResponder) {
        perform(engine.postArrived(body, nowMs: Self.nowMs()))
        sink.respond(Self.pollingResponse(Array("ok".utf8)))
    }

    // MARK: WebSocket

    func attachWebSocket(_ link: LinkedWebSocket) {
        webSocket = link
        link.sendText(openPacket)
    }

    func webSocketText(_ text: [UInt8], from link: LinkedWebSocket) {
        if link === probe {
            let actions = engine.probeText(text, nowMs: Self.nowMs())
            if engine.transport == .websocket, webSocket == nil {
                webSocket = probe
                probe = nil
                upgraded.store(true, ordering: .relaxed)
            }
            perform(actions)
        } else if link === webSocket {
            perform(engine.webSocketText(text, nowMs: Self.nowMs()))
        }
    }

    func webSocketBinary(_ data: [UInt8], from link: LinkedWebSocket) {
        guard link === webSocket else { return }
        perform(engine.webSocketBinary(data, nowMs: Self.nowMs()))
    }

    func webSocketClosed(_ link: LinkedWebSocket) {
        if link === probe {
            probe = nil
            engine.probeClosed()
            armTimer()
        } else if link === webSocket {
            perform(engine.transportClosed())
        }
    }

    /// A WebSocket asks to take over this polling session.
    func probeStarted(_ link: LinkedWebSocket) {
        if let old = probe { old.close(code: WebSocketCloseCode.normal, reason: "") }
        probe = link
    }

    // MARK: actions

    private func perform(_ actions: [EngineIOAction]) {
        for action in actions {
            switch action {
            case .answerPoll(let body):
                heldPoll?.respond(Self.pollingResponse(body))
                heldPoll = nil
                polledBytes += body.count
            case .rejectPoll:
                break  // answered by pollArrived, which holds the request
            case .sendWebSocket(let text):
                webSocket?.sendText(text)
            case .sendProbe(let text):
                probe?.sendText(text)
            case .abortProbe:
                probe?.close(code: WebSocketCloseCode.normal, reason: "")
                probe = nil
            case .deliver(let packet):
                socket.received(packet)
            case .closed(let reason):
                finishClose(reason)
            }
        }
        finishActions()
    }

    private func finishActions() {
        if !isClosed { armTimer() }
    }

    private func finishClose(_ reason: EngineIOCloseReason) {
        guard !isClosed else { return }
        isClosed = true
        if let t = timer { loop.cancel(t); timer = nil }
        if let t = connectTimer { loop.cancel(t); connectTimer = nil }
        if reason == .slowConsumer {
            // As /ws does (4008); the client reconnects and recovers what history still holds.
            webSocket?.closeDiscardingOutput(code: CloseCodes.slowConsumer, reason: "slow consumer")
        } else {
            webSocket?.close(code: WebSocketCloseCode.normal, reason: "")
        }
        probe?.close(code: WebSocketCloseCode.normal, reason: "")
        webSocket = nil
        probe = nil
        heldPoll = nil
        node.remove(sid)
        socket.engineClosed(reason)
    }

    private func armTimer() {
        guard let deadline = engine.nextDeadlineMs else {
            if let t = timer { loop.cancel(t); timer = nil; timerDeadlineMs = nil }
            return
        }
        if timer != nil && timerDeadlineMs == deadline { return }
        if let t = timer { loop.cancel(t) }
        timerDeadlineMs = deadline
        let delayMs = max(0, deadline - Self.nowMs())
        timer = loop.schedule(afterNanoseconds: UInt64(delayMs) * 1_000_000) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.timerDeadlineMs = nil
            self.perform(self.engine.timerFired(nowMs: Self.nowMs()))
        }
    }

    // MARK: responses

    static func pollingResponse(_ body: [UInt8]) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "text/plain; charset=UTF-8")
        h.add("Cache-Control", "no-store")
        return HTTPResponse(status: 200, headers: h, body: body)
    }

    static func errorResponse(_ error: EngineIOError) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        return HTTPResponse(status: error.status, headers: h, body: error.body)
    }
}
