// Wiring: builds the server from the configuration, registers the routes, and runs until a
// shutdown signal. The only place that knows every module.
import HTTP
import Hub
import Logging
import Reactor
import Store
import WebSocket

public final class Application: @unchecked Sendable {
    // Fields are set once in init and then only read.
    public let config: Configuration
    public let server: Server
    public let hub: HubEngine
    public let credentials: Credentials
    public let writer: StoreWriter
    public let reader: StoreReader
    let processor: InboxProcessor
    /// nil when SWITCHBOARD_WA_ACCESS_TOKEN is unset (sending off).
    let outboundSender: OutboundSender?
    let logger: Logger
    let startedAt = MonotonicTime.nanoseconds()
    public static let version = "0.1.0"

    public init(config: Configuration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        credentials = try Credentials.load(config: config)
        server = try Server(config: config, logger: logger)
        var hs = HubSettings()
        hs.batchWindowMs = config.batchWindowMs
        hs.batchMaxEvents = config.batchMaxEvents
        hs.batchMaxBytes = config.batchMaxBytes
        hs.maxConnectionBuffer = config.maxConnectionBuffer
        hs.history = HistoryLimits(maxEvents: config.historyMax, ttlMs: Int64(config.historyTTLSeconds) * 1000)
        hub = HubEngine(settings: hs, loops: server.loops)
        let dbPath = config.dataDir + "/switchboard.db"
        writer = try StoreWriter(path: dbPath)
        reader = try StoreReader(path: dbPath)
        processor = InboxProcessor(writer: writer, hub: hub, maxAttempts: config.inboxMaxAttempts, logger: logger)
        outboundSender = config.outbound.accessToken == nil ? nil
            : OutboundSender(settings: config.outbound, writer: writer, reader: reader, hub: hub, logger: logger)
        registerRoutes()
    }

    private func registerRoutes() {
        server.addRoute(.get, "/health/live") { _ in
            .response(.json(200, #"{"status":"ok"}"#))
        }
        HubRoutes(engine: hub, credentials: credentials).register(on: server)
        WebhookRoutes(config: config, writer: writer, processor: processor, logger: logger).register(on: server)
        ConversationRoutes(reader: reader, writer: writer, hub: hub, credentials: credentials, processor: processor).register(on: server)
        OutboundRoutes(reader: reader, writer: writer, hub: hub, credentials: credentials, sender: outboundSender,
                       defaultPhoneNumberID: config.outbound.defaultPhoneNumberID).register(on: server)
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
        processor.start()
        outboundSender?.start()
        try server.start()
        logger.info("switchboard listening", metadata: [
            "http.host": "\(config.host)", "http.port": "\(server.boundPort)",
            "reactor.threads": "\(server.loops.count)", "data.dir": "\(config.dataDir)",
        ])
        if credentials.secretFromFile {
            // Ready-to-use tokens so a fresh `make run` can be tried at once (the secret is in the
            // data directory; set SWITCHBOARD_AUTH_SECRET to manage it yourself).
            let ops = (try? credentials.token(sub: "ops", role: .ops, topics: ["*"], ttlSeconds: 86400)) ?? ""
            let agent = (try? credentials.token(sub: "agent", role: .agent, topics: ["inbox", "conversation.*"], ttlSeconds: 86400)) ?? ""
            logger.info("ops token (24 h, all topics): \(ops)")
            logger.info("agent token (24 h, inbox + conversation.*): \(agent)")
            logger.info("API key for POST /api/publish is in \(config.dataDir)/api_key")
        }
        let hub = self.hub
        server.loops[0].execute {
            // Expire idle topics' history even when nothing is published on them.
            func sweep() {
                hub.evictExpired()
                self.server.loops[0].schedule(afterNanoseconds: 10_000_000_000) { sweep() }
            }
            sweep()
        }
    }

    /// Blocks until SIGTERM/SIGINT, then shuts down gracefully.
    public func runUntilSignal() {
        let signal = SignalWaiter.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        server.shutdown()
        processor.stop()
        outboundSender?.stop()
        reader.close()
        writer.close()
        logger.info("stopped")
    }
}
