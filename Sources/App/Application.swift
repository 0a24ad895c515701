// Wiring: builds the server from the configuration, registers the routes, and runs until a
// shutdown signal. The only place that knows every module.
import HTTP
import Logging
import Reactor
import WebSocket

public final class Application: @unchecked Sendable {
    // Fields are set once in init and then only read.
    public let config: Configuration
    public let server: Server
    let logger: Logger
    let startedAt = MonotonicTime.nanoseconds()
    public static let version = "0.1.0"

    public init(config: Configuration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        server = try Server(config: config, logger: logger)
        registerRoutes()
    }

    private func registerRoutes() {
        server.addRoute(.get, "/health/live") { _ in
            .response(.json(200, #"{"status":"ok"}"#))
        }
        if let echo = config.echoPath {
            let endpoint = EchoEndpoint()
            server.setMessageLimit(EchoEndpoint.maxMessageBytes, for: endpoint)
            server.addRoute(.get, echo) { ctx in
                Application.upgrade(ctx, to: endpoint)
            }
        }
    }

    /// Validates a WebSocket upgrade request: 400 for a bad upgrade, 426 for another version.
    static func upgrade(_ ctx: RequestContext, to endpoint: WebSocketEndpoint) -> RouteResult {
        let r = ctx.request
        switch WebSocketHandshake.validate(method: r.method.name, versionMinor: r.versionMinor, header: { r.headers[$0] }) {
        case .success(let accept):
            return .webSocket(accept: accept, endpoint: endpoint)
        case .failure(let e):
            return .failure(APIError(status: e.status, code: e.code, message: e.message, headers: e.headers))
        }
    }

    public func start() throws {
        try server.start()
        logger.info("switchboard listening", metadata: [
            "http.host": "\(config.host)", "http.port": "\(server.boundPort)",
            "reactor.threads": "\(server.loops.count)", "data.dir": "\(config.dataDir)",
        ])
    }

    /// Blocks until SIGTERM/SIGINT, then shuts down gracefully.
    public func runUntilSignal() {
        let signal = SignalWaiter.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        server.shutdown()
        logger.info("stopped")
    }
}
