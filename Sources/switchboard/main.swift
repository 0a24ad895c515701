// The switchboard command: `serve` runs the server; other subcommands are operator tools.
import App
import Glibc
import Hub
import Observability
import ArgumentParser
import Logging
import Metrics
import Reactor

@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Realtime backend for a WhatsApp Business inbox.",
        subcommands: [Serve.self, Token.self, Env.self],
        defaultSubcommand: Serve.self)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (settings from SWITCHBOARD_* variables; flags win).")

    @Option(help: "Address to listen on (SWITCHBOARD_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "TCP port (SWITCHBOARD_PORT, default 8080).") var port: String?
    @Option(name: .customLong("data-dir"), help: "State directory (SWITCHBOARD_DATA_DIR, default ./data).") var dataDir: String?
    @Option(help: "Reactor threads (SWITCHBOARD_THREADS, default: cores).") var threads: String?
    @Option(name: .customLong("echo-path"), help: "Enable a WebSocket echo endpoint at this path (tests only).") var echoPath: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS/WSS (SWITCHBOARD_TLS_CERT).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (SWITCHBOARD_TLS_KEY).") var tlsKey: String?

    func run() throws {
        var flags: [String: String] = [:]
        if let host { flags["--host"] = host }
        if let port { flags["--port"] = port }
        if let dataDir { flags["--data-dir"] = dataDir }
        if let threads { flags["--threads"] = threads }
        if let echoPath { flags["--echo-path"] = echoPath }
        if let tlsCert { flags["--tls-cert"] = tlsCert }
        if let tlsKey { flags["--tls-key"] = tlsKey }
        let config: Configuration
        do {
            config = try Configuration.load(environment: ProcessEnvironment.all(), flags: flags)
        } catch {
            printError("switchboard: \(error)")
            throw ExitCode(2)
        }
        LogSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        let logger = Logger(label: "switchboard")
        SignalWaiter.prepare()
        let app: Application
        do {
            app = try Application(config: config, logger: logger)
            // Library code that uses the global swift-metrics API reports into the app's registry.
            MetricsSystem.bootstrap(app.metricsFactory)
            try app.start()
        } catch {
            printError("switchboard: cannot start: \(error)")
            throw ExitCode(1)
        }
        if let notice = app.firstStartNotice() { writeToStdout(notice) }
        app.runUntilSignal()
    }
}

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a client token signed with the server's secret (SWITCHBOARD_AUTH_SECRET or <data-dir>/auth_secret).")

    @Option(help: "Who the token is for (claim sub).") var sub: String
    @Option(help: "agent, ops or service.") var role: String
    @Option(help: "Comma-separated topic patterns the token may read, e.g. 'inbox,conversation.*'.") var topics: String
    // `.unconditional`: `--ttl -5` reaches the range check below instead of a usage error.
    @Option(parsing: .unconditional, help: "Lifetime in seconds, 1 to 315360000 (10 years).") var ttl: String = "3600"
    @Option(name: .customLong("data-dir"), help: "State directory holding auth_secret (SWITCHBOARD_DATA_DIR, default ./data).") var dataDir: String?

    func run() throws {
        var flags: [String: String] = [:]
        if let dataDir { flags["--data-dir"] = dataDir }
        do throws(any Error) {
            let config = try Configuration.load(environment: ProcessEnvironment.all(), flags: flags)
            guard let r = Role(rawValue: role) else { throw ConfigurationError(message: "invalid --role '\(role)': expected agent, ops or service") }
            // Parsed here rather than by ArgumentParser so that every bad value gets the same one line.
            guard let seconds = Int64(ttl), (1...TokenLifetime.maxSeconds).contains(seconds) else {
                throw ConfigurationError(message: "invalid --ttl '\(ttl)': expected 1 to \(TokenLifetime.maxSeconds) seconds (10 years)")
            }
            let list = topics.split(separator: ",").map { String($0).trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw ConfigurationError(message: "invalid --topics: expected at least one pattern") }
            let secret = try Credentials.existingTokenSecret(config: config)
            print(try Credentials.token(secret: secret, sub: sub, role: r, topics: list, ttlSeconds: seconds))
        } catch {
            printError("switchboard token: \(error)")
            throw ExitCode(2)
        }
    }
}

/// Writes straight to fd 1, which the log handler also writes to line by line, so the text is not
/// held back in a stdio buffer when stdout is a file or a pipe.
private func writeToStdout(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every SWITCHBOARD_* setting.")
    func run() {
        for s in Configuration.documentation {
            print("\(s.env)\(s.flag.map { " (\($0))" } ?? ""): \(s.help)")
        }
    }
}
