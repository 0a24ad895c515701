// One client connection on its loop: HTTP/1.1 requests answered in order (keep-alive,
// pipelining, deferred answers), header and idle timeouts, and after an upgrade the WebSocket
// protocol (frames, fragmentation, ping/pong, close handshake) in front of an endpoint.
import HTTP
import Reactor
import WebSocket

final class ConnectionHandler: ConnectionDelegate, WebSocketPeer {
    enum Mode {
        case http
        case webSocket
    }

    let connection: TCPConnection
    let server: Server
    var loop: EventLoop { connection.loop }
    var peerAddress: String { connection.peer }
    var queuedBytes: Int { connection.queuedBytes }
    var bytesWritten: Int { connection.bytesWritten }

    private var mode = Mode.http
    private var parser: HTTPRequestParser
    /// A deferred request is being answered: read nothing more until it is.
    private var awaitingResponse = false
    /// Close after the current response (Connection: close, errors, shutdown).
    private var closeAfterResponse = false
    private var headerTimer: TimerID?
    private var idleTimer: TimerID?
    private var lastActivity: UInt64 = MonotonicTime.nanoseconds()
    private(set) var draining = false
    // The request being answered, for the HTTP metrics: route is the matched pattern (set by
    // `Server.route`), never the raw path, so label sets stay bounded.
    var currentRoute = "unmatched"
    private var currentMethod = "invalid"
    private var requestStartNs: UInt64 = 0

    // WebSocket state, allocated only after an upgrade.
    private var frameParser: WebSocketFrameParser?
    private var session: WebSocketSession?
    private var endpoint: WebSocketEndpoint?
    private var pingTimer: TimerID?
    private var closeSent = false

    init(connection: TCPConnection, server: Server) {
        self.connection = connection
        self.server = server
        self.parser = HTTPRequestParser(limits: server.httpLimits)
    }

    func start() {
        armIdleTimer()
    }

    // MARK: input

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int {
        lastActivity = MonotonicTime.nanoseconds()
        switch mode {
        case .http: return readHTTP(bytes)
        case .webSocket: return readWebSocket(bytes)
        }
    }

    func connectionDidReceiveEOF(_ connection: TCPConnection) {
        if mode == .http && awaitingResponse {
            // Half-close: the peer may still wait for the answer to its last request.
            closeAfterResponse = true
            connection.pauseReading()
            return
        }
        connection.close()
    }

    func connectionDidDrain(_ connection: TCPConnection) {}

    func connectionDidClose(_ connection: TCPConnection) {
        cancelTimers()
        if let e = endpoint {
            endpoint = nil
            e.webSocketDidClose(self)
        }
        server.connectionClosed(self)
    }

    private func cancelTimers() {
        if let t = headerTimer { loop.cancel(t); headerTimer = nil }
        if let t = idleTimer { loop.cancel(t); idleTimer = nil }
        if let t = pingTimer { loop.cancel(t); pingTimer = nil }
    }

    // MARK: HTTP

    /// Responses produced while handling one read: written together, in order, with one syscall.
    private var responseBuffer: [UInt8] = []

    private func flushResponses() {
        guard !responseBuffer.isEmpty else { return }
        connection.send(responseBuffer)
        responseBuffer = []  // no buffer kept by an idle connection
    }

    private func readHTTP(_ bytes: UnsafeRawBufferPointer) -> Int {
        defer { flushResponses() }
        var offset = 0
        while offset < bytes.count || (offset == 0 && bytes.count == 0) {
            if awaitingResponse || connection.isClosed || mode != .http || closeAfterResponse { break }
            let (used, result) = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            offset += used
            switch result {
            case .needMore:
                if parser.wantsContinue {
                    parser.acknowledgeContinue()
                    flushResponses()
                    connection.enqueue(Server.continueBytes)
                }
                armHeaderTimerIfNeeded()
                return offset
            case .error(let e):
                disarmHeaderTimer()
                currentMethod = "invalid"
                currentRoute = "unmatched"
                requestStartNs = MonotonicTime.nanoseconds()
                let err = APIError(status: e.status, code: e.code, message: e.message)
                closeAfterResponse = true
                // No request to finalize, but the answer still names its id, like every other one.
                let id = Server.generateRequestID()
                var response = err.response(requestID: id)
                response.headers.replaceOrAdd("X-Request-ID", id)
                write(response, keepAlive: false, head: false)
                return bytes.count
            case .request(let request):
                disarmHeaderTimer()
                handle(request)
                if mode == .webSocket {
                    // Bytes after the upgrade request belong to the WebSocket.
                    return offset + readWebSocket(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                }
            }
            if bytes.count == 0 { break }
        }
        return offset
    }

    private func handle(_ request: HTTPRequest) {
        let requestID = Server.requestID(from: request)
        currentMethod = request.method.name
        currentRoute = "unmatched"
        requestStartNs = MonotonicTime.nanoseconds()
        let head = request.method == .head
        let keepAlive = request.keepAlive && !server.isShuttingDown
        if !keepAlive { closeAfterResponse = true }
        let outcome = server.route(request, requestID: requestID, handler: self)
        switch outcome {
        case .response(let r):
            write(server.finalize(r, request: request, requestID: requestID), keepAlive: keepAlive, head: head)
        case .failure(let e):
            write(server.finalize(e.response(requestID: requestID), request: request, requestID: requestID), keepAlive: keepAlive, head: head)
        case .deferred:
            awaitingResponse = true
            connection.pauseReading()
        case .webSocket(let accept, let endpoint):
            upgrade(accept: accept, endpoint: endpoint, requestID: requestID)
        }
    }

    /// Answers a deferred request (on this loop).
    func completeDeferred(_ result: Result<HTTPResponse, APIError>, request: HTTPRequest, requestID: String) {
        guard awaitingResponse, !connection.isClosed else { return }
        awaitingResponse = false
        let response: HTTPResponse
        switch result {
        case .success(let r): response = r
        case .failure(let e): response = e.response(requestID: requestID)
        }
        write(server.finalize(response, request: request, requestID: requestID), keepAlive: !closeAfterResponse, head: request.method == .head)
        flushResponses()
        if !connection.isClosed {
            connection.resumeReading()
            connection.redeliverPending()
        }
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, head: Bool) {
        let keep = keepAlive && !closeAfterResponse
        if responseBuffer.isEmpty { responseBuffer.reserveCapacity(256 + response.body.count) }
        response.serialize(into: &responseBuffer, keepAlive: keep, headRequest: head)
        server.onResponse?(currentMethod, currentRoute, response.status, MonotonicTime.nanoseconds() &- requestStartNs)
        if keep {
            armIdleTimer()
        } else {
            flushResponses()
            connection.closeAfterFlush(linger: true)
        }
    }

    private func armHeaderTimerIfNeeded() {
        guard parser.isMidRequest, !parser.headersComplete, headerTimer == nil else {
            if parser.headersComplete { disarmHeaderTimer() }
            return
        }
        let ns = UInt64(server.settings.headerTimeoutSeconds * 1e9)
        headerTimer = loop.schedule(afterNanoseconds: ns) { [weak self] in
            guard let self else { return }
            self.headerTimer = nil
            if self.mode == .http && self.parser.isMidRequest && !self.parser.headersComplete {
                // Slowloris: headers did not arrive in time. 408 and close.
                self.closeAfterResponse = true
                let e = APIError(status: 408, code: "request_timeout", message: "request headers not received within \(Int(self.server.settings.headerTimeoutSeconds)) s")
                self.write(e.response(requestID: Server.generateRequestID()), keepAlive: false, head: false)
            }
        }
    }

    private func disarmHeaderTimer() {
        if let t = headerTimer { loop.cancel(t); headerTimer = nil }
    }

    /// One lazy timer per connection: when it fires it checks the last activity and re-arms,
    /// so busy connections do not reschedule a timer per request.
    private func armIdleTimer() {
        guard idleTimer == nil else { return }
        let timeout = mode == .webSocket ? server.settings.wsIdleTimeoutSeconds : server.settings.idleTimeoutSeconds
        let ns = UInt64(timeout * 1e9)
        let due = lastActivity &+ ns
        let now = MonotonicTime.nanoseconds()
        idleTimer = loop.schedule(afterNanoseconds: due > now ? due - now : 0) { [weak self] in
            guard let self else { return }
            self.idleTimer = nil
            let idleFor = MonotonicTime.nanoseconds() &- self.lastActivity
            if idleFor >= ns && !self.awaitingResponse && !(self.mode == .http && self.parser.isMidRequest) {
                if self.mode == .webSocket {
                    self.close(code: WebSocketCloseCode.goingAway, reason: "idle timeout")
                } else {
                    self.connection.close()
                }
            } else {
                self.armIdleTimer()
            }
        }
    }

    // MARK: WebSocket

    private func upgrade(accept: String, endpoint: WebSocketEndpoint, requestID: String) {
        let response = WebSocketHandshake.switchingProtocolsResponse(accept: accept, extraHeaders: [("X-Request-ID", requestID)])
        flushResponses()  // answers to requests pipelined before the upgrade go first
        connection.enqueue(response)
        mode = .webSocket
        frameParser = WebSocketFrameParser(requireMasked: true, maxFramePayload: server.wsMaxMessage(for: endpoint))
        session = WebSocketSession(maxMessageSize: server.wsMaxMessage(for: endpoint))
        self.endpoint = endpoint
        if let t = idleTimer { loop.cancel(t); idleTimer = nil }
        armIdleTimer()
        schedulePing()
        server.connectionUpgraded(self)
        endpoint.webSocketDidOpen(self)
    }

    private func readWebSocket(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count, !connection.isClosed, var fp = frameParser {
            let (used, result) = fp.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            frameParser = fp
            offset += used
            switch result {
            case .needMore:
                return offset
            case .fail(let code, let reason):
                failWebSocket(code: code, reason: reason)
                return bytes.count
            case .frame(let frame):
                guard var s = session else { return bytes.count }
                let action = s.receive(frame)
                session = s
                perform(action)
            }
        }
        return connection.isClosed ? bytes.count : offset
    }

    private func perform(_ action: WebSocketAction) {
        switch action {
        case .none:
            break
        case .text(let t):
            endpoint?.webSocket(self, didReceiveText: t)
        case .binary(let b):
            endpoint?.webSocket(self, didReceiveBinary: b)
        case .sendPong(let p):
            guard !closeSent else { return }
            sendFrame(opcode: .pong, payload: p)
        case .pongReceived:
            break
        case .close(let code, _):
            sendCloseFrameOnce(payload: code.map { [UInt8($0 >> 8), UInt8($0 & 0xff)] } ?? [])
            // Closing handshake complete: the server closes the TCP connection first (RFC 6455 §7.1.1).
            connection.closeAfterFlush(linger: false)
        case .fail(let code, let reason):
            failWebSocket(code: code, reason: reason)
        }
    }

    private func failWebSocket(code: UInt16, reason: String) {
        close(code: code, reason: reason)
    }

    private func schedulePing() {
        let ns = UInt64(server.settings.wsPingIntervalSeconds * 1e9)
        pingTimer = loop.schedule(afterNanoseconds: ns) { [weak self] in
            guard let self, !self.connection.isClosed, !self.closeSent else { return }
            // Ping only a quiet peer: traffic already proves it is alive.
            if MonotonicTime.nanoseconds() &- self.lastActivity >= ns / 2 {
                self.sendFrame(opcode: .ping, payload: [])
            }
            self.schedulePing()
        }
    }

    // MARK: WebSocketPeer

    func sendText(_ text: [UInt8]) {
        guard mode == .webSocket, !closeSent, !connection.isClosed else { return }
        sendFrame(opcode: .text, payload: text)
    }

    func sendBinary(_ data: [UInt8]) {
        guard mode == .webSocket, !closeSent, !connection.isClosed else { return }
        sendFrame(opcode: .binary, payload: data)
    }

    func sendFrame(_ frame: SharedBytes) {
        guard mode == .webSocket, !closeSent, !connection.isClosed else { return }
        connection.enqueue(frame)
    }

    /// Starts the closing handshake: send close, stop reading application data, and close the TCP
    /// connection once the frame is written (we do not wait for a peer that may be stalled).
    func close(code: UInt16, reason: String) {
        close(code: code, reason: reason, flushDeadlineNanoseconds: 5_000_000_000)
    }

    func closeDiscardingOutput(code: UInt16, reason: String) {
        guard !connection.isClosed else { return }
        connection.discardQueuedOutput()
        // Our queue is empty now; what remains is the kernel's socket buffer, which a stalled
        // reader drains when it wakes up, then it reads the close frame. Give it 30 s to do so.
        close(code: code, reason: reason, flushDeadlineNanoseconds: 30_000_000_000)
    }

    private func close(code: UInt16, reason: String, flushDeadlineNanoseconds: UInt64) {
        guard !connection.isClosed else { return }
        guard mode == .webSocket else {
            connection.close()
            return
        }
        sendCloseFrameOnce(payload: WebSocketFrameEncoder.closePayload(code: code, reason: reason))
        connection.closeAfterFlush(linger: true, flushDeadlineNanoseconds: flushDeadlineNanoseconds)
    }

    /// A close frame goes out at most once per connection, whoever starts the closing handshake.
    private func sendCloseFrameOnce(payload: [UInt8]) {
        guard !closeSent else { return }
        closeSent = true
        session?.markCloseSent()
        sendFrame(opcode: .close, payload: payload)
    }

    /// Encodes one unmasked server frame and queues it.
    private func sendFrame(opcode: WebSocketOpcode, payload: [UInt8]) {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        WebSocketFrameEncoder.append(opcode: opcode, payload: payload, to: &out)
        connection.enqueue(out)
    }

    /// Graceful shutdown: WebSockets get 1001; idle HTTP connections close now; a request in
    /// progress is finished first.
    func beginShutdown() {
        draining = true
        switch mode {
        case .webSocket:
            close(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        case .http:
            if awaitingResponse || parser.isMidRequest {
                closeAfterResponse = true
            } else {
                connection.close()
            }
        }
    }

    var isWebSocket: Bool { mode == .webSocket }
}
