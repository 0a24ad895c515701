// The switchboard command: `serve` runs the server; other subcommands are operator tools.
import App
import Observability
import ArgumentParser
import Logging
import Reactor

@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Realtime backend for a WhatsApp Business inbox.",
        subcommands: [Serve.self, Env.self],
        defaultSubcommand: Serve.self)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (settings from SWITCHBOARD_* variables; flags win).")

    @Option(help: "Address to listen on (SWITCHBOARD_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "TCP port (SWITCHBOARD_PORT, default 8080).") var port: String?
    @Option(name: .customLong("data-dir"), help: "State directory (SWITCHBOARD_DATA_DIR, default ./data).") var dataDir: String?
    @Option(help: "Reactor threads (SWITCHBOARD_THREADS, default: cores).") var threads: String?
    @Option(name: .customLong("echo-path"), help: "Enable a WebSocket echo endpoint at this path (tests only).") var echoPath: String?

    func run() throws {
        var flags: [String: String] = [:]
        if let host { flags["--host"] = host }
        if let port { flags["--port"] = port }
        if let dataDir { flags["--data-dir"] = dataDir }
        if let threads { flags["--threads"] = threads }
        if let echoPath { flags["--echo-path"] = echoPath }
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
            try app.start()
        } catch {
            printError("switchboard: cannot start: \(error)")
            throw ExitCode(1)
        }
        app.runUntilSignal()
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
