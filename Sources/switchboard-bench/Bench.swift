// switchboard-bench: load scenarios against a running switchboard (or nginx+nchan for
// comparison), built on the project's own reactor. Each run prints readable lines and one JSON line.
import ArgumentParser
import Reactor

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-bench",
        abstract: "Fan-out and idle-connection benchmarks for switchboard (and nginx+nchan).",
        subcommands: [Fanout.self, Idle.self])
}

struct Fanout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "N subscribers on one topic, one publisher; throughput, latency, loss, CPU.")

    @Option(help: "Subscriber WebSocket URL (switchboard).") var url = "ws://127.0.0.1:8080/ws"
    @Option(help: "Subscriber token (role agent is enough; it must allow --topic).") var token = ""
    @Option(help: "Subscribers that read normally.") var subscribers = 1000
    @Option(name: .customLong("slow-consumers"), help: "Extra subscribers that never read (excluded from the counts).") var slowConsumers = 0
    @Option(help: "Topic to subscribe and publish to.") var topic = "bench.fanout"
    @Option(help: "Events per second; 0 = as fast as the in-flight window allows.") var rate = 0
    @Option(help: "Seconds of publishing.") var duration = 10.0
    @Option(name: .customLong("event-bytes"), help: "Approximate size of each event's data.") var eventBytes = 100
    @Option(name: .customLong("publish-url"), help: "HTTP publish URL (switchboard).") var publishURL = "http://127.0.0.1:8080/api/publish"
    @Option(name: .customLong("api-key"), help: "SWITCHBOARD_API_KEY for HTTP publish.") var apiKey = ""
    @Option(name: .customLong("publish-via"), help: "http or ws (ws needs a token with role service: --publish-token).") var publishVia = "http"
    @Option(name: .customLong("publish-token"), help: "Token for --publish-via ws (default: --token).") var publishToken: String?
    @Option(name: .customLong("in-flight"), help: "Publishes awaiting an answer at most (pipelined on one connection).") var inFlight = 32
    @Option(name: .customLong("max-lag"), help: "With --rate 0: pause publishing while subscribers are on average more than this many events behind (0 = never pause). Keeps an as-fast-as-possible run measuring the server, not the load tool's reading speed.") var maxLag = 2000
    @Option(name: .customLong("server-pid"), help: "Server pid, for its CPU time from /proc.") var serverPID: Int32?
    @Option(name: .customLong("second-url"), help: "A second node's subscriber URL (a cluster): subscribers alternate between --url and this one.") var secondURL: String?
    @Option(name: .customLong("second-server-pid"), help: "The second node's pid: server CPU is the sum of both.") var secondServerPID: Int32?
    @Option(help: "Subscriber event loops (one more runs the publisher).") var threads = 2
    @Option(help: "nginx+nchan base URL (e.g. http://127.0.0.1:8090): subscribe at /sub/<topic>, publish to /pub/<topic>.") var nchan: String?
    @Option(help: "Name of this run in the report.") var label: String?

    func validate() throws {
        guard subscribers >= 0, slowConsumers >= 0, subscribers + slowConsumers > 0 else { throw ValidationError("need at least one subscriber") }
        guard rate >= 0, duration > 0, eventBytes >= 0, inFlight > 0, threads > 0, maxLag >= 0 else { throw ValidationError("rate, duration, event-bytes, in-flight and threads must be positive") }
        guard ["http", "ws"].contains(publishVia) else { throw ValidationError("--publish-via is http or ws") }
    }

    func run() throws {
        SignalWaiter.prepare()  // SIGPIPE ignored: a server closing on us must not kill the bench
        let settings: FanoutSettings
        do {
            settings = try makeSettings()
        } catch {
            throw ValidationError("\(error)")
        }
        let report = try FanoutRun(settings: settings).run()
        for line in report.humanLines { print(line) }
        print(report.jsonLine)
    }

    func makeSettings() throws -> FanoutSettings {
        let target: FanoutTarget
        let subscriberEndpoint: Endpoint
        let via: Publisher.Via
        if let nchan {
            let base = try Endpoint(parsing: nchan)
            let prefix = base.target == "/" ? "" : String(base.target.reversed().drop { $0 == "/" }.reversed())
            subscriberEndpoint = Endpoint(scheme: .ws, host: base.host, port: base.port, target: "\(prefix)/sub/\(topic)")
            via = .nchan(base.with(target: "\(prefix)/pub/\(topic)"))
            target = .rawEvents
        } else {
            let ws = try Endpoint(parsing: url)
            subscriberEndpoint = ws.with(target: withToken(ws.target, token))
            target = .switchboard(topic: topic)
            if publishVia == "ws" {
                via = .switchboardWebSocket(ws.with(target: withToken(ws.target, publishToken ?? token)), topic: topic)
            } else {
                via = .switchboardHTTP(try Endpoint(parsing: publishURL), apiKey: apiKey, topic: topic)
            }
        }
        var second: Endpoint?
        if let secondURL, nchan == nil {
            let ws = try Endpoint(parsing: secondURL)
            second = ws.with(target: withToken(ws.target, token))
        }
        return FanoutSettings(subscriberEndpoint: subscriberEndpoint, secondSubscriberEndpoint: second,
                              secondServerPID: secondServerPID, target: target, subscribers: subscribers,
                              slowConsumers: slowConsumers, publisher: via, rate: rate, maxInFlight: inFlight, maxLag: maxLag,
                              durationSeconds: duration, eventBytes: eventBytes, threads: threads, serverPID: serverPID,
                              label: label ?? (nchan == nil ? "switchboard" : "nchan"))
    }
}

struct Idle: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "N idle WebSocket connections; server RSS growth per connection.")

    @Option(help: "WebSocket URL (switchboard /ws, or an --echo-path endpoint).") var url = "ws://127.0.0.1:8080/ws"
    @Option(help: "Token (added as ?token=; ignored by the echo endpoint).") var token = ""
    @Option(help: "Subscribe each connection to this topic (omit to only open).") var topic: String?
    @Option(help: "Connections to open (above 19000, child processes share them).") var connections = 15_000
    @Option(name: .customLong("server-pid"), help: "Server pid, for VmRSS from /proc.") var serverPID: Int32?
    @Option(help: "Seconds to hold the connections after measuring.") var hold = 10.0
    @Option(help: "Event loops.") var threads = 2
    @Option(name: .customLong("max-pending"), help: "Handshakes in progress at once.") var maxPending = 500
    @Flag(help: .hidden) var child = false

    func run() throws {
        SignalWaiter.prepare()
        let ws: Endpoint
        do { ws = try Endpoint(parsing: url) } catch { throw ValidationError("\(error)") }
        let settings = IdleSettings(endpoint: ws.with(target: withToken(ws.target, token)), topic: topic,
                                    connections: max(0, connections), threads: max(1, threads),
                                    serverPID: child ? nil : serverPID, holdSeconds: max(0, hold),
                                    maxPending: max(1, maxPending))
        if child {
            try IdleRun.runChild(settings: settings)
            return
        }
        var childArgs = ["idle", "--url", url, "--token", token, "--threads", String(threads), "--hold", "0",
                         "--max-pending", String(maxPending)]
        if let topic { childArgs += ["--topic", topic] }
        let report = try IdleRun(settings: settings, childArguments: childArgs).run()
        for line in report.humanLines { print(line) }
        print(report.jsonLine)
    }
}

/// Adds `token=` to a request target's query (nothing if the token is empty).
func withToken(_ target: String, _ token: String) -> String {
    guard !token.isEmpty else { return target }
    return target + (target.contains("?") ? "&" : "?") + "token=" + token
}
