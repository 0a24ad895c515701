// Every setting of the server in one type: defaults, the SWITCHBOARD_* environment variable and,
// for some, a command-line flag (a flag wins over the variable). A bad value stops start-up with
// one line that names the setting.
import HTTP
import Inbound
import Outbound
import Server

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

public struct Configuration: Sendable {
    /// Listening, limits and timeouts of the server core (its own type, filled by the rows below).
    public var server = ServerSettings()
    public var dataDir = "./data"
    public var echoPath: String? = nil
    // Hub
    public var batchWindowMs = 10
    public var batchMaxEvents = 256
    public var batchMaxBytes = 65536
    public var maxConnectionBuffer = 4 << 20
    /// Bytes queued to reading subscribers (summed) above which external publishes get 429 `overloaded`.
    public var hubMaxBacklogBytes = 64 << 20
    public var historyMax = 1000
    public var historyTTLSeconds = 600
    // Access
    public var authSecret: String? = nil
    public var apiKey: String? = nil
    // WhatsApp inbound
    public var waVerifyToken: String? = nil
    public var waAppSecret: String? = nil
    public var inboxMaxAttempts = 5
    public var webhookMaxBodyBytes = 3 << 20 + 512 << 10
    /// Group commit of store writes (feature flag; off = one transaction and fsync per write,
    /// the baseline the inbound benchmark compares against).
    public var groupCommit = true
    // WhatsApp outbound (issue 5)
    public var outbound = OutboundSettings()
    // Logging
    public var logLevel = "info"
    public var logFormat = "text"
    // Observability (settings in Configuration+Observability.swift)
    public var observability = ObservabilitySettings()
    // Cluster: node id, Redis, presence (Configuration+Cluster.swift)
    public var cluster = ClusterSettings()
    // Socket.IO endpoint (settings in Configuration+SocketIO.swift)
    public var socketIO = SocketIOSettings()

    public init() {}

    /// The webhook endpoint's part.
    public var webhook: WebhookSettings {
        WebhookSettings(verifyToken: waVerifyToken, appSecret: waAppSecret, maxBodyBytes: webhookMaxBodyBytes,
                        asyncProcessing: observability.asyncWebhooks)
    }

    /// One setting: its variable, optional flag, a description for the README and `--help`,
    /// and how to apply a textual value.
    struct Setting: Sendable {
        let env: String
        let flag: String?
        let help: String
        let apply: @Sendable (inout Configuration, String) -> String?  // nil = ok, else "expected ..."
    }

    static let settings: [Setting] = observabilitySettings + [
        Setting(env: "SWITCHBOARD_HOST", flag: "--host", help: "address to listen on (IP literal)") { c, v in
            guard isIPLiteral(v) else { return "expected an IPv4 or IPv6 address" }
            c.server.host = v; return nil
        },
        Setting(env: "SWITCHBOARD_PORT", flag: "--port", help: "TCP port (0 = any free port)") { c, v in
            guard let p = UInt16(v) else { return "expected an integer 0-65535" }
            c.server.port = p; return nil
        },
        Setting(env: "SWITCHBOARD_DATA_DIR", flag: "--data-dir", help: "directory for the SQLite database and generated secrets") { c, v in
            guard !v.isEmpty else { return "expected a directory path" }
            c.dataDir = v; return nil
        },
        Setting(env: "SWITCHBOARD_THREADS", flag: "--threads", help: "reactor threads (default: number of cores)") { c, v in
            guard let n = Int(v), (1...256).contains(n) else { return "expected an integer 1-256" }
            c.server.threads = n; return nil
        },
        Setting(env: "SWITCHBOARD_ECHO_PATH", flag: "--echo-path", help: "enable a WebSocket echo endpoint at this path (tests, Autobahn); off by default") { c, v in
            guard v.hasPrefix("/") else { return "expected a path starting with /" }
            c.echoPath = v; return nil
        },
        Setting(env: "SWITCHBOARD_MAX_BODY_BYTES", flag: nil, help: "largest HTTP request body (413 above)") { c, v in
            guard let n = Int(v), n >= 1024, n <= 1 << 30 else { return "expected an integer 1024-1073741824" }
            c.server.maxBodyBytes = n; return nil
        },
        Setting(env: "SWITCHBOARD_HEADER_TIMEOUT_S", flag: nil, help: "seconds a client has to send complete request headers") { c, v in
            guard let d = Double(v), d > 0, d <= 3600 else { return "expected seconds > 0" }
            c.server.headerTimeoutSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_BODY_TIMEOUT_S", flag: nil, help: "seconds a client has to send a request body once its headers are complete (408 and close)") { c, v in
            guard let d = Double(v), d > 0, d <= 3600 else { return "expected seconds > 0" }
            c.server.bodyTimeoutSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_IDLE_TIMEOUT_S", flag: nil, help: "seconds an idle keep-alive HTTP connection is kept") { c, v in
            guard let d = Double(v), d > 0, d <= 86400 else { return "expected seconds > 0" }
            c.server.idleTimeoutSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_SHUTDOWN_TIMEOUT_S", flag: nil, help: "graceful shutdown deadline in seconds") { c, v in
            guard let d = Double(v), d >= 0, d <= 600 else { return "expected seconds 0-600" }
            c.server.shutdownTimeoutSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_CORS_ORIGINS", flag: nil, help: "comma-separated origins allowed by CORS (e.g. http://localhost:5173)") { c, v in
            let list = v.split(separator: ",").map { String($0).trimmingOptionalWhitespace() }.filter { !$0.isEmpty }
            for o in list where !(o == "*" || o.hasPrefix("http://") || o.hasPrefix("https://")) {
                return "expected http(s)://host[:port] origins or *, got '\(o)'"
            }
            c.server.corsOrigins = list; return nil
        },
        Setting(env: "SWITCHBOARD_WS_MAX_MESSAGE_BYTES", flag: nil, help: "largest WebSocket message accepted (1009 above)") { c, v in
            guard let n = Int(v), n >= 125, n <= 64 << 20 else { return "expected an integer 125-67108864" }
            c.server.wsMaxMessageBytes = n; return nil
        },
        Setting(env: "SWITCHBOARD_WS_PING_INTERVAL_S", flag: nil, help: "seconds between server pings on a quiet WebSocket") { c, v in
            guard let d = Double(v), d > 0, d <= 3600 else { return "expected seconds > 0" }
            c.server.wsPingIntervalSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_WS_IDLE_TIMEOUT_S", flag: nil, help: "seconds without any frame from a peer before it is closed") { c, v in
            guard let d = Double(v), d > 0, d <= 86400 else { return "expected seconds > 0" }
            c.server.wsIdleTimeoutSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_BATCH_WINDOW_MS", flag: nil, help: "hub batching time window in ms (0 = flush at the end of each loop turn)") { c, v in
            guard let n = Int(v), (0...10_000).contains(n) else { return "expected an integer 0-10000" }
            c.batchWindowMs = n; return nil
        },
        Setting(env: "SWITCHBOARD_BATCH_MAX_EVENTS", flag: nil, help: "events per batch frame before it is sent early") { c, v in
            guard let n = Int(v), (1...100_000).contains(n) else { return "expected an integer 1-100000" }
            c.batchMaxEvents = n; return nil
        },
        Setting(env: "SWITCHBOARD_BATCH_MAX_BYTES", flag: nil, help: "bytes of events per batch frame before it is sent early") { c, v in
            guard let n = Int(v), (1...(16 << 20)).contains(n) else { return "expected an integer 1-16777216" }
            c.batchMaxBytes = n; return nil
        },
        Setting(env: "SWITCHBOARD_MAX_CONN_BUFFER", flag: nil, help: "outbound bytes queued per connection before it is closed with 4008 (slow consumer)") { c, v in
            guard let n = Int(v), (1024...(1 << 30)).contains(n) else { return "expected an integer 1024-1073741824" }
            c.maxConnectionBuffer = n; return nil
        },
        Setting(env: "SWITCHBOARD_HUB_MAX_BACKLOG_BYTES", flag: nil, help: "bytes queued to reading subscribers, summed, above which publishes get 429 overloaded (internal publishers wait)") { c, v in
            guard let n = Int(v), (65536...(1 << 40)).contains(n) else { return "expected an integer 65536-1099511627776" }
            c.hubMaxBacklogBytes = n; return nil
        },
        Setting(env: "SWITCHBOARD_HISTORY_MAX", flag: nil, help: "events kept per topic for recovery") { c, v in
            guard let n = Int(v), (0...1_000_000).contains(n) else { return "expected an integer 0-1000000" }
            c.historyMax = n; return nil
        },
        Setting(env: "SWITCHBOARD_HISTORY_TTL_S", flag: nil, help: "seconds an event stays in a topic's history") { c, v in
            guard let n = Int(v), (0...604_800).contains(n) else { return "expected an integer 0-604800" }
            c.historyTTLSeconds = n; return nil
        },
        Setting(env: "SWITCHBOARD_AUTH_SECRET", flag: nil, help: "HS256 secret for client tokens (default: generated into <data-dir>/auth_secret)") { c, v in
            guard v.utf8.count >= 16 else { return "expected at least 16 bytes" }
            c.authSecret = v; return nil
        },
        Setting(env: "SWITCHBOARD_API_KEY", flag: nil, help: "bearer key for server-side APIs such as POST /api/publish (default: generated into <data-dir>/api_key)") { c, v in
            guard v.utf8.count >= 16 else { return "expected at least 16 bytes" }
            c.apiKey = v; return nil
        },
        Setting(env: "SWITCHBOARD_WA_VERIFY_TOKEN", flag: nil, help: "token Meta sends in the GET /webhooks/whatsapp verification handshake") { c, v in
            guard !v.isEmpty else { return "expected a non-empty token" }
            c.waVerifyToken = v; return nil
        },
        Setting(env: "SWITCHBOARD_WA_APP_SECRET", flag: nil, help: "Meta app secret: key of the X-Hub-Signature-256 HMAC (unset: webhooks are refused with 503)") { c, v in
            guard !v.isEmpty else { return "expected a non-empty secret" }
            c.waAppSecret = v; return nil
        },
        Setting(env: "SWITCHBOARD_INBOX_MAX_ATTEMPTS", flag: nil, help: "processing attempts of a webhook before it moves to the dead-letter table") { c, v in
            guard let n = Int(v), (1...100).contains(n) else { return "expected an integer 1-100" }
            c.inboxMaxAttempts = n; return nil
        },
        Setting(env: "SWITCHBOARD_GROUP_COMMIT", flag: nil, help: "on|off: share one transaction and fsync among concurrent store writes") { c, v in
            guard v == "on" || v == "off" else { return "expected on or off" }
            c.groupCommit = v == "on"; return nil
        },
    ] + OutboundSettings.settings + socketIOSettings + [
        Setting(env: "SWITCHBOARD_LOG_LEVEL", flag: nil, help: "trace|debug|info|notice|warning|error|critical") { c, v in
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v.lowercased()) else { return "expected one of \(levels.joined(separator: "|"))" }
            c.logLevel = v.lowercased(); return nil
        },
        Setting(env: "SWITCHBOARD_LOG_FORMAT", flag: nil, help: "json|text") { c, v in
            guard v == "json" || v == "text" else { return "expected json or text" }
            c.logFormat = v; return nil
        },
    ] + clusterSettings

    /// Builds the configuration from the environment, then the flags given on the command line.
    public static func load(environment: [String: String], flags: [String: String]) throws(ConfigurationError) -> Configuration {
        var c = Configuration()
        for s in settings {
            if let v = environment[s.env] {
                if let problem = s.apply(&c, v) {
                    throw ConfigurationError(message: "invalid \(s.env)='\(v)': \(problem)")
                }
            }
        }
        for s in settings {
            guard let f = s.flag, let v = flags[f] else { continue }
            if let problem = s.apply(&c, v) {
                throw ConfigurationError(message: "invalid \(f) '\(v)': \(problem)")
            }
        }
        return c
    }

    /// Variable names and help, for the README and `switchboard env`.
    public static var documentation: [(env: String, flag: String?, help: String)] {
        settings.map { ($0.env, $0.flag, $0.help) }
    }
}

func isIPLiteral(_ s: String) -> Bool {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil && !$0.isEmpty }) { return true }
    return s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
}
