// One client connection on its loop: HTTP/1.1 requests answered in order (keep-alive,
// pipelining, deferred answers) and, after an upgrade, the WebSocket protocol in front of an
// endpoint (ConnectionHandler+WebSocket.swift). When to time out, pause, resume or close is
// decided by ConnectionLifecycle; this class performs its actions and owns the one timer.
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

    var mode = Mode.http
    private var parser: HTTPRequestParser
    private var lifecycle: ConnectionLifecycle
    /// The one timer of this connection, armed for the lifecycle's next deadline.
    private var timer: TimerID?
    // The request being answered, for the HTTP metrics: route is the matched pattern (set by
    // `Server.route`), never the raw path, so label sets stay bounded.
    var currentRoute = "unmatched"
    private var currentMethod = "invalid"
    private var requestStartNs: UInt64 = 0

    // WebSocket state, allocated only after an upgrade.
    var frameParser: WebSocketFrameParser?
    var session: WebSocketSession?
    var endpoint: WebSocketEndpoint?
    var closeSent = false
    /// Set when permessage-deflate was negotiated (ConnectionHandler+Deflate.swift).
    var outboundDeflate: OutboundDeflate?

    init(connection: TCPConnection, server: Server) {
        self.connection = connection
        self.server = server
        self.parser = HTTPRequestParser(limits: server.httpLimits)
        self.lifecycle = ConnectionLifecycle(timeouts: server.lifecycleTimeouts, nowNs: MonotonicTime.nanoseconds())
    }

    /// This handler as deferred answers reach it: made once per connection and copied into
    /// every request's sink.
    private(set) lazy var loopBound = LoopBound(self, loop: loop)

    func start() {
        apply(lifecycle.start())
    }

    var isWebSocket: Bool { mode == .webSocket }

    // MARK: the lifecycle

    /// Tells the lifecycle what happened and arms or cancels the timer as it says; the caller
    /// performs the returned action (responses need the caller's context).
    @discardableResult
    func lifecycleEvent(_ event: ConnectionLifecycle.Event) -> ConnectionLifecycle.Action {
        let output = lifecycle.handle(event)
        apply(output.timer)
        return output.action
    }

    private func apply(_ change: ConnectionLifecycle.TimerChange) {
        switch change {
        case .unchanged:
            break
        case .cancel:
            if let t = timer { loop.cancel(t); timer = nil }
        case .arm(let deadline):
            if let t = timer { loop.cancel(t) }
            timer = loop.schedule(atNanoseconds: deadline) { [weak self] in
                guard let self else { return }
                self.timer = nil
                self.perform(self.lifecycleEvent(.timerFired(nowNs: MonotonicTime.nanoseconds())))
            }
        }
    }

    /// Performs the actions that need no response at hand (timeouts, pings, closes).
    private func perform(_ action: ConnectionLifecycle.Action) {
        switch action {
        case .none, .respondKeepingAlive, .respondAndResumeReading, .respondThenClose, .discardLateResponse:
            break  // answered by the caller, which holds the response
        case .pauseReading:
            connection.pauseReading()
        case .respondRequestTimeout(let phase):
            let (seconds, what) = phase == .headers
                ? (server.settings.headerTimeoutSeconds, "request headers")
                : (server.settings.bodyTimeoutSeconds, "request body")
            writeUnparsedRequestError(APIError(status: 408, code: "request_timeout",
                                               message: "\(what) not received within \(Self.format(seconds)) s"), action: .respondThenClose)
        case .respondResponseTimeout:
            // The route never answered: 503 now, and a late answer is dropped by the lifecycle.
            let e = APIError(status: 503, code: "response_timeout",
                             message: "the request was not answered within \(Self.format(server.settings.deferredResponseTimeoutSeconds)) s; retry later")
            write(e.response(requestID: Server.generateRequestID()), action: .respondThenClose, head: false)
            flushResponses()
        case .sendPing:
            if !closeSent { sendFrame(opcode: .ping, payload: []) }
        case .closeWebSocket(let reason):
            close(code: WebSocketCloseCode.goingAway, reason: reason == .idle ? "idle timeout" : "server shutting down")
        case .close:
            connection.close()
        case .closeAfterFlush:
            connection.closeAfterFlush(linger: false)
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    // MARK: transport events

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int {
        switch mode {
        case .http: return readHTTP(bytes)
        case .webSocket:
            lifecycleEvent(.webSocketInput(nowNs: MonotonicTime.nanoseconds()))
            return readWebSocket(bytes)
        }
    }

    func connectionDidReceiveEOF(_ connection: TCPConnection) {
        perform(lifecycleEvent(.peerClosed(nowNs: MonotonicTime.nanoseconds())))
    }

    func connectionDidDrain(_ connection: TCPConnection) {}

    func connectionDidClose(_ connection: TCPConnection) {
        lifecycleEvent(.closed)
        if let e = endpoint {
            endpoint = nil
            e.webSocketDidClose(self)
        }
        server.connectionClosed(self)
    }

    /// Graceful shutdown: WebSockets get 1001; idle HTTP connections close now; a request in
    /// progress is finished first and its answer closes the connection.
    func beginShutdown() {
        perform(lifecycleEvent(.shutdownRequested(nowNs: MonotonicTime.nanoseconds())))
    }

    // MARK: HTTP

    /// Responses produced while handling one read: written together, in order, with one syscall.
    private var responseBuffer: [UInt8] = []

    private func flushResponses() {
        guard !responseBuffer.isEmpty else { return }
        connection.send(responseBuffer)
        responseBuffer = []  // no buffer kept by an idle connection
    }

    private var requestProgress: ConnectionLifecycle.RequestProgress {
        if parser.headersComplete { return .body }
        return parser.isMidRequest ? .headers : .betweenRequests
    }

    private func readHTTP(_ bytes: UnsafeRawBufferPointer) -> Int {
        defer { flushResponses() }
        var offset = 0
        while offset < bytes.count || (offset == 0 && bytes.count == 0) {
            if !lifecycle.acceptsRequests || connection.isClosed || mode != .http { break }
            let (used, result) = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            offset += used
            switch result {
            case .needMore:
                if parser.wantsContinue {
                    parser.acknowledgeContinue()
                    flushResponses()
                    connection.enqueue(Server.continueBytes)
                }
                lifecycleEvent(.needMoreInput(requestProgress, nowNs: MonotonicTime.nanoseconds()))
                return offset
            case .error(let e):
                let action = lifecycleEvent(.malformedRequest(nowNs: MonotonicTime.nanoseconds()))
                writeUnparsedRequestError(APIError(status: e.status, code: e.code, message: e.message), action: action)
                return bytes.count
            case .request(let request):
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

    /// Answers bytes that never became a request (parse error, timeout): no request to
    /// finalize, but the answer still names its id, like every other one.
    private func writeUnparsedRequestError(_ error: APIError, action: ConnectionLifecycle.Action) {
        currentMethod = "invalid"
        currentRoute = "unmatched"
        requestStartNs = MonotonicTime.nanoseconds()
        let id = Server.generateRequestID()
        var response = error.response(requestID: id)
        response.headers.replaceOrAdd("X-Request-ID", id)
        write(response, action: action, head: false)
        flushResponses()
    }

    private func handle(_ request: HTTPRequest) {
        let requestID = Server.requestID(from: request)
        currentMethod = request.method.name
        currentRoute = "unmatched"
        requestStartNs = MonotonicTime.nanoseconds()
        let head = request.method == .head
        let outcome = server.route(request, requestID: requestID, handler: self)
        // An immediate answer takes microseconds: its start time serves as the answer's time
        // (one clock read less per request on the hot path).
        switch outcome {
        case .response(let r):
            let action = lifecycleEvent(.answered(requestKeepAlive: keepAlive(request), nowNs: requestStartNs))
            write(r, action: action, head: head, finalizingFor: (request, requestID))
        case .failure(let e):
            let action = lifecycleEvent(.answered(requestKeepAlive: keepAlive(request), nowNs: requestStartNs))
            write(e.response(requestID: requestID), action: action, head: head, finalizingFor: (request, requestID))
        case .deferred:
            perform(lifecycleEvent(.deferred(nowNs: requestStartNs)))
        case .webSocket(let accept, let endpoint):
            upgrade(accept: accept, endpoint: endpoint, requestID: requestID, deflate: negotiateDeflate(request))
        }
    }

    private func keepAlive(_ request: HTTPRequest) -> Bool {
        request.keepAlive && !server.isShuttingDown
    }

    /// Answers a deferred request (on this loop), unless its deadline was already answered for.
    func completeDeferred(_ result: Result<HTTPResponse, APIError>, request: HTTPRequest, requestID: String) {
        guard !connection.isClosed else { return }
        let action = lifecycleEvent(.deferredAnswered(requestKeepAlive: keepAlive(request), nowNs: MonotonicTime.nanoseconds()))
        guard action != .discardLateResponse else { return }
        let response: HTTPResponse
        switch result {
        case .success(let r): response = r
        case .failure(let e): response = e.response(requestID: requestID)
        }
        write(response, action: action, head: request.method == .head, finalizingFor: (request, requestID))
        flushResponses()
        if action == .respondAndResumeReading && !connection.isClosed {
            connection.resumeReading()
            connection.redeliverPending()
        }
    }

    /// Serializes an answer as the lifecycle decided: kept alive, or followed by a close once
    /// it is written (lingering, so the peer reads it instead of getting a reset). An answer to
    /// a parsed request gets the server's headers (`finalizingFor`) as it is serialized.
    private func write(_ response: HTTPResponse, action: ConnectionLifecycle.Action, head: Bool,
                       finalizingFor finalizing: (request: HTTPRequest, requestID: String)? = nil) {
        let keepAlive: Bool
        switch action {
        case .respondKeepingAlive, .respondAndResumeReading: keepAlive = true
        case .respondThenClose: keepAlive = false
        default: return
        }
        if responseBuffer.isEmpty { responseBuffer.reserveCapacity(256 + response.body.count) }
        if let finalizing {
            server.serializeFinal(response, request: finalizing.request, requestID: finalizing.requestID,
                                  into: &responseBuffer, keepAlive: keepAlive, headRequest: head)
        } else {
            response.serialize(into: &responseBuffer, keepAlive: keepAlive, headRequest: head)
        }
        server.onResponse?(currentMethod, currentRoute, response.status, MonotonicTime.nanoseconds() &- requestStartNs)
        if !keepAlive {
            flushResponses()
            connection.closeAfterFlush(linger: true)
        }
    }

    // MARK: upgrade

    private func upgrade(accept: String, endpoint: WebSocketEndpoint, requestID: String, deflate: PerMessageDeflateParameters?) {
        var headers = [("X-Request-ID", requestID)]
        if let deflate { headers.append(("Sec-WebSocket-Extensions", deflate.responseHeaderValue)) }
        let response = WebSocketHandshake.switchingProtocolsResponse(accept: accept, extraHeaders: headers)
        flushResponses()  // answers to requests pipelined before the upgrade go first
        connection.enqueue(response)
        mode = .webSocket
        startWebSocketSession(maxMessage: server.wsMaxMessage(for: endpoint), deflate: deflate)
        self.endpoint = endpoint
        lifecycleEvent(.upgraded(nowNs: MonotonicTime.nanoseconds()))
        server.connectionUpgraded(self)
        endpoint.webSocketDidOpen(self)
    }
}
