// Socket.IO v4 (Engine.IO v4) at /socket.io/: handshakes, polling GET/POST for a sid, WebSocket
// transports direct and as upgrades, and the Engine.IO error answers of the reference server.
// Sessions live in memory on this node: behind a load balancer, polling needs sticky sessions.
import Crypto
import HTTP
import Hub
import Reactor
import SocketIO

public final class SocketIORoutes: Sendable {
    public static let path = "/socket.io/"
    let node: SocketIONode
    let corsOrigin: @Sendable (String) -> String?

    public init(settings: SocketIOSettings, fanout: HubFanout, auth: Authenticator, server: Server) {
        node = SocketIONode(settings: settings, fanout: fanout, auth: auth, loops: server.loops)
        corsOrigin = { [weak server] origin in server?.allowedOrigin(origin) }
    }

    public func register(on server: Server) {
        server.addRoute(.get, Self.path) { ctx in self.handle(ctx) }
        server.addRoute(.post, Self.path) { ctx in self.handle(ctx) }
    }

    /// Ends every session (held polls get the close packet) before the server drains its
    /// connections, so a held poll does not hold up shutdown.
    public func shutdown() {
        for session in node.sessions.withLock({ Array($0.values) }) {
            session.onLoop { $0.close(.serverShuttingDown) }
        }
    }

    public var sessionCount: Int { node.sessions.withLock { $0.count } }

    func handle(_ ctx: RequestContext) -> RouteResult {
        let r = ctx.request
        let sid = r.queryValue("sid")
        let isUpgrade = r.headers.containsToken("Upgrade", "websocket")
        let classified = EngineIORequestCheck.classify(
            method: r.method.name, eio: r.queryValue("EIO"), transport: r.queryValue("transport"), sid: sid,
            isWebSocketUpgrade: isUpgrade, sessionTransport: { [node] in node.session($0)?.transportSnapshot })
        switch classified {
        case .failure(let e):
            return .response(withCORS(EngineIOConnection.errorResponse(e), r))
        case .success(.handshake(let transport)):
            let session = EngineIOConnection(sid: Self.newSid(), transport: transport, loop: ctx.loop, node: node)
            node.register(session)
            if transport == .websocket {
                return webSocketUpgrade(ctx, to: EngineIOWebSocketEndpoint(session: session, isProbe: false))
            }
            return .response(withCORS(EngineIOConnection.pollingResponse(session.openPacket), r))
        case .success(.poll(let sid)):
            guard let session = node.session(sid) else { return .response(withCORS(EngineIOConnection.errorResponse(.unknownSid), r)) }
            let sink = corsSink(ctx)
            session.onLoop { $0.pollArrived(sink) }
            return .deferred
        case .success(.post(let sid)):
            guard let session = node.session(sid) else { return .response(withCORS(EngineIOConnection.errorResponse(.unknownSid), r)) }
            guard r.body.count <= node.settings.engine.maxPayload else {
                // engine.io answers 413 and closes the session
                session.onLoop { $0.close(.transportError) }
                return .response(withCORS(HTTPResponse(status: 413, headers: HTTPHeaders([("Content-Type", "text/plain; charset=UTF-8")]),
                                                       body: Array("Payload Too Large".utf8)), r))
            }
            let sink = corsSink(ctx)
            let body = r.body
            session.onLoop { $0.postArrived(body, sink: sink) }
            return .deferred
        case .success(.upgrade(let sid)):
            guard let session = node.session(sid) else { return .response(withCORS(EngineIOConnection.errorResponse(.unknownSid), r)) }
            return webSocketUpgrade(ctx, to: EngineIOWebSocketEndpoint(session: session, isProbe: true))
        }
    }

    /// CORS with credentials for allowed origins (the server adds Allow-Origin itself).
    private func withCORS(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        guard let origin = request.headers["Origin"], corsOrigin(origin) != nil else { return response }
        var r = response
        r.headers.replaceOrAdd("Access-Control-Allow-Credentials", "true")
        return r
    }

    private func corsSink(_ ctx: RequestContext) -> EngineIOResponder {
        EngineIOResponder(sink: ctx.sink, credentials: ctx.request.headers["Origin"].flatMap(corsOrigin) != nil)
    }

    /// 20 random bytes, base64url: the shape of engine.io's ids.
    static func newSid() -> String {
        Base64.encode(SecureRandom.bytes(15), urlSafe: true, padding: false)
    }
}

/// Answers one deferred polling request, with the CORS credentials header when its origin is allowed.
struct EngineIOResponder: Sendable {
    let sink: ResponseSink
    let credentials: Bool

    func respond(_ response: HTTPResponse) {
        var r = response
        if credentials { r.headers.replaceOrAdd("Access-Control-Allow-Credentials", "true") }
        sink.respond(r)
    }
}
