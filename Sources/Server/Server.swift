// The server: listeners and connections on the loop group, routing with the cross-cutting
// HTTP behaviour (request ids, CORS, 404/405, error envelopes), and graceful shutdown.
import Crypto
import HTTP
import Logging
import Reactor
import Locks
import Synchronization
import WebSocket

public final class Server: @unchecked Sendable {
    // Mutable state is either loop-confined (per-loop connection tables, touched only on that
    // loop) or atomic; routes are fixed before `start()`.
    public let settings: ServerSettings
    let logger: Logger
    let group: EventLoopGroup
    let httpLimits: HTTPLimits
    private var router = Router<RouteHandler>()
    private var listeners: [Listener] = []
    /// One table per loop, each touched only on its own loop's thread; the array itself never
    /// changes after init, so loops never write shared storage.
    let connectionsByLoop: [LoopConnections]
    /// Every deadline of a connection, from the settings.
    let lifecycleTimeouts: ConnectionLifecycle.Timeouts
    private let openConnections = Atomic<Int>(0)
    private let openWebSockets = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    public private(set) var boundPort: UInt16 = 0
    /// Endpoints allowed larger messages than the default (the echo endpoint for Autobahn 9.*).
    private let messageLimitOverrides = Locked<[ObjectIdentifier: Int]>([:])
    /// Told about every HTTP response written (method, matched route, status, duration in ns),
    /// on the connection's loop; set once before `start()`.
    public var onResponse: (@Sendable (_ method: String, _ route: String, _ status: Int, _ durationNs: UInt64) -> Void)?

    static let continueBytes = SharedBytes(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))

    public init(settings: ServerSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        let threads = settings.threads > 0 ? settings.threads : availableCores()
        group = try EventLoopGroup(count: threads)
        httpLimits = HTTPLimits(maxBodyBytes: settings.maxBodyBytes)
        connectionsByLoop = group.loops.map { _ in LoopConnections() }
        lifecycleTimeouts = ConnectionLifecycle.Timeouts(
            headerSeconds: settings.headerTimeoutSeconds, bodySeconds: settings.bodyTimeoutSeconds,
            idleSeconds: settings.idleTimeoutSeconds, deferredResponseSeconds: settings.deferredResponseTimeoutSeconds,
            webSocketIdleSeconds: settings.wsIdleTimeoutSeconds, webSocketPingSeconds: settings.wsPingIntervalSeconds)
    }

    public var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }
    public var webSocketCount: Int { openWebSockets.load(ordering: .relaxed) }
    public var loops: [EventLoop] { group.loops }

    // MARK: routes

    public func addRoute(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping RouteHandler) {
        router.add(method, pattern, handler)
    }

    func route(_ request: HTTPRequest, requestID: String, handler: ConnectionHandler) -> RouteResult {
        if request.method == .options {
            handler.currentRoute = "preflight"
            return preflight(request)
        }
        switch router.match(request.method, path: request.path) {
        case .notFound:
            return .failure(.notFound("no route for \(request.method.name) \(request.path)"))
        case .methodNotAllowed(let allow):
            return .failure(APIError(status: 405, code: "method_not_allowed",
                                     message: "\(request.method.name) is not allowed on \(request.path)",
                                     headers: [("Allow", allow.joined(separator: ", "))]))
        case .found(let h, let params, let pattern):
            handler.currentRoute = pattern
            let sink = ResponseSink(connection: handler.loopBound, request: request, requestID: requestID)
            let ctx = RequestContext(request: request, requestID: requestID, peer: handler.peerAddress,
                                     params: params, route: pattern, loop: handler.loop, sink: sink)
            return h(ctx)
        }
    }

    /// OPTIONS: a CORS preflight from an allowed origin gets the CORS headers; any other OPTIONS
    /// on a known path gets 204 with Allow.
    private func preflight(_ request: HTTPRequest) -> RouteResult {
        let allow: [String]
        switch router.match(.options, path: request.path) {
        case .notFound: return .failure(.notFound("no route for OPTIONS \(request.path)"))
        case .methodNotAllowed(let a): allow = a
        case .found: allow = ["OPTIONS"]
        }
        var h = HTTPHeaders()
        h.add("Allow", allow.joined(separator: ", "))
        if let origin = request.headers["Origin"], let allowed = allowedOrigin(origin),
           request.headers["Access-Control-Request-Method"] != nil {
            h.add("Access-Control-Allow-Origin", allowed)
            h.add("Access-Control-Allow-Methods", allow.joined(separator: ", "))
            h.add("Access-Control-Allow-Headers", request.headers["Access-Control-Request-Headers"] ?? "Content-Type, Authorization, X-Request-ID")
            h.add("Access-Control-Max-Age", "600")
            h.add("Vary", "Origin")
        }
        return .response(HTTPResponse(status: 204, headers: h))
    }

    package func allowedOrigin(_ origin: String) -> String? {
        if settings.corsOrigins.contains(origin) { return origin }
        if settings.corsOrigins.contains("*") { return "*" }
        return nil
    }

    /// Headers every response carries: X-Request-ID, and CORS for allowed origins.
    func finalize(_ response: HTTPResponse, request: HTTPRequest, requestID: String) -> HTTPResponse {
        var r = response
        r.headers.replaceOrAdd("X-Request-ID", requestID)
        if request.versionMinor == 0 && request.keepAlive {
            // HTTP/1.0 closes by default; say explicitly that this connection stays open.
            r.headers.replaceOrAdd("Connection", "keep-alive")
        }
        if let origin = request.headers["Origin"], let allowed = allowedOrigin(origin) {
            r.headers.replaceOrAdd("Access-Control-Allow-Origin", allowed)
            r.headers.add("Access-Control-Expose-Headers", "X-Request-ID, Retry-After")
            r.headers.add("Vary", "Origin")
        }
        return r
    }

    /// Appends the wire form of `finalize(response, ...)` to `out`. In the common case (the
    /// route set no X-Request-ID, no keep-alive to announce, no CORS origin) the only change is
    /// an appended X-Request-ID, written without copying the response: routes often answer
    /// with one shared prebuilt response, whose header list would otherwise be copied each time.
    func serializeFinal(_ response: HTTPResponse, request: HTTPRequest, requestID: String,
                        into out: inout [UInt8], keepAlive: Bool, headRequest: Bool) {
        let announcesKeepAlive = request.versionMinor == 0 && request.keepAlive
        let addsCORS = request.headers["Origin"].flatMap(allowedOrigin) != nil
        if !announcesKeepAlive && !addsCORS && !response.headers.contains("X-Request-ID") {
            response.serialize(into: &out, keepAlive: keepAlive, headRequest: headRequest, extraField: ("X-Request-ID", requestID))
        } else {
            finalize(response, request: request, requestID: requestID).serialize(into: &out, keepAlive: keepAlive, headRequest: headRequest)
        }
    }

    // MARK: request ids

    private static let idPrefix = Array(SecureRandom.hexString(bytes: 6).utf8)
    private static let idCounter = Atomic<UInt64>(0)

    /// A fresh id: a per-process random prefix and a counter, unique and cheap.
    static func generateRequestID() -> String {
        RequestIDFormat.make(prefix: idPrefix, counter: idCounter.add(1, ordering: .relaxed).newValue)
    }

    /// The caller's X-Request-ID when it is sane (1-128 visible characters), else a new one.
    static func requestID(from request: HTTPRequest) -> String {
        if let given = request.headers["X-Request-ID"], isSafeID(given) { return given }
        if let tp = request.headers["traceparent"] {
            // W3C: version-traceid-parentid-flags; the trace id correlates across services.
            let parts = tp.split(separator: "-")
            if parts.count == 4, parts[1].count == 32, parts[1].allSatisfy({ $0.isHexDigit }) { return String(parts[1]) }
        }
        return generateRequestID()
    }

    static func isSafeID(_ s: String) -> Bool {
        let u = s.utf8
        return !u.isEmpty && u.count <= 128 && u.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
        }
    }

    // MARK: WebSocket limits

    public func setMessageLimit(_ bytes: Int, for endpoint: WebSocketEndpoint) {
        messageLimitOverrides.withLock { $0[ObjectIdentifier(endpoint)] = bytes }
    }

    func wsMaxMessage(for endpoint: WebSocketEndpoint) -> Int {
        messageLimitOverrides.withLock { $0[ObjectIdentifier(endpoint)] } ?? settings.wsMaxMessageBytes
    }

    // MARK: lifecycle

    /// Binds the listeners, starts the loop threads and accepts: `bind`, `startLoops` and
    /// `startAccepting` in one call, for callers with nothing to start in between.
    public func start() throws {
        try bind()
        startLoops()
        startAccepting()
    }

    /// Opens one SO_REUSEPORT listening socket per loop (start-up errors such as EADDRINUSE
    /// surface here); nothing is accepted until `startAccepting()`.
    public func bind() throws {
        guard listeners.isEmpty else { return }
        var port = settings.port
        for loop in group.loops {
            let fd = try Sockets.listen(host: settings.host, port: port, reusePort: true)
            if port == 0 { port = Sockets.localPort(fd) }
            let listener = Listener(fd: fd, loop: loop, onAccept: { [unowned self] cfd, peer in
                self.accept(fd: cfd, peer: peer, loop: loop)
            }, onError: { [logger] message in
                logger.warning("\(message)")
            })
            listeners.append(listener)
        }
        boundPort = port
    }

    /// Starts the loop threads: timers and cross-thread work (hub fan-out) run from here on, so
    /// background services may publish before any client is accepted.
    public func startLoops() {
        group.start()
    }

    /// Registers each listener on its own loop (on that loop's thread, so its handler table is
    /// only ever touched there).
    public func startAccepting() {
        for listener in listeners {
            let box = UncheckedBox(listener)
            listener.loop.execute { [logger] in
                do { try box.value.start() } catch { logger.error("cannot accept on a loop", metadata: ["error": "\(error)"]) }
            }
        }
    }

    private func accept(fd: Int32, peer: String, loop: EventLoop) {
        if isShuttingDown {
            Sockets.close(fd)
            return
        }
        let conn = TCPConnection(fd: fd, loop: loop, peer: peer)
        let handler = ConnectionHandler(connection: conn, server: self)
        conn.delegate = handler
        do {
            try conn.start()
        } catch {
            Sockets.close(fd)
            return
        }
        connectionsByLoop[loop.index].add(handler)
        openConnections.add(1, ordering: .relaxed)
        handler.start()
    }

    func connectionUpgraded(_ handler: ConnectionHandler) {
        openWebSockets.add(1, ordering: .relaxed)
    }

    func connectionClosed(_ handler: ConnectionHandler) {
        if connectionsByLoop[handler.loop.index].remove(handler) {
            openConnections.subtract(1, ordering: .relaxed)
            if handler.isWebSocket { openWebSockets.subtract(1, ordering: .relaxed) }
        }
    }

    /// Stops accepting, closes WebSockets with 1001, lets in-flight requests finish, and returns
    /// when every connection is gone or the deadline passed. The loops keep running (deferred
    /// answers and background publishers still need them) until `stopLoops()`.
    public func shutdown() {
        shuttingDown.store(true, ordering: .relaxed)
        for (i, loop) in group.loops.enumerated() {
            let listener = UncheckedBox(listeners[i])
            loop.execute { [unowned self] in
                listener.value.close()
                for h in self.connectionsByLoop[loop.index].all { h.beginShutdown() }
            }
        }
        let deadline = MonotonicTime.nanoseconds() &+ UInt64(settings.shutdownTimeoutSeconds * 1e9)
        while openConnections.load(ordering: .relaxed) > 0 && MonotonicTime.nanoseconds() < deadline {
            sleepMilliseconds(20)
        }
        let left = openConnections.load(ordering: .relaxed)
        if left > 0 { logger.warning("shutdown deadline passed", metadata: ["connections.open": "\(left)"]) }
    }

    /// Stops the loop threads and waits for them.
    public func stopLoops() {
        group.stopAndJoin()
    }
}

/// The open connections of one loop. Only that loop's thread touches an instance.
final class LoopConnections {
    private var handlers: [ObjectIdentifier: ConnectionHandler] = [:]

    func add(_ handler: ConnectionHandler) {
        assert(handler.loop.inEventLoop)
        handlers[ObjectIdentifier(handler)] = handler
    }

    /// False when the handler was not (or no longer) registered.
    func remove(_ handler: ConnectionHandler) -> Bool {
        assert(handler.loop.inEventLoop)
        return handlers.removeValue(forKey: ObjectIdentifier(handler)) != nil
    }

    /// A snapshot, so handlers may close (and remove themselves) while it is walked.
    var all: [ConnectionHandler] { Array(handlers.values) }
}

@preconcurrency import Glibc
func sleepMilliseconds(_ ms: Int) {
    var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    nanosleep(&ts, nil)
}
