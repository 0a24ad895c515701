// The idle scenario: open many WebSocket connections that then do nothing, and measure how much
// the server's RSS grows per connection. Above one process's descriptor budget the bench starts
// copies of itself (each holding a share) and measures once all of them report ready.
@preconcurrency import Glibc
import Foundation
import Reactor

struct IdleSettings {
    var endpoint: Endpoint
    /// Subscribe each connection to this topic (switchboard), or just open it (nil).
    var topic: String?
    var connections: Int
    var threads: Int
    var serverPID: Int32?
    var holdSeconds: Double
    /// Handshakes allowed in progress at once (so the accept queue never overflows).
    var maxPending: Int = 500
}

struct IdleReport {
    var requested = 0
    var opened = 0
    var failed = 0
    var rssBefore: Int?
    var rssAfter: Int?
    var connectSeconds = 0.0
    var closeReasons: [String: Int] = [:]

    var growthPerConnection: Double? {
        guard let a = rssBefore, let b = rssAfter, opened > 0 else { return nil }
        return Double(b - a) / Double(opened)
    }

    var humanLines: [String] {
        var lines = [
            "== idle",
            "connections        \(opened) open, \(failed) failed (of \(requested)) in \(format(connectSeconds, 2)) s",
            "server RSS         before \(rssBefore.map(String.init) ?? "n/a") B, after \(rssAfter.map(String.init) ?? "n/a") B",
            "RSS per connection \(growthPerConnection.map { format($0, 0) + " B" } ?? "n/a (no --server-pid)")",
        ]
        if !closeReasons.isEmpty {
            lines.append("closes             " + closeReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        return lines
    }

    var jsonLine: String {
        let fields: [(String, String)] = [
            ("scenario", jsonString("idle")), ("requested", "\(requested)"), ("opened", "\(opened)"), ("failed", "\(failed)"),
            ("connect_s", format(connectSeconds, 3)),
            ("rss_before", rssBefore.map(String.init) ?? "null"), ("rss_after", rssAfter.map(String.init) ?? "null"),
            ("rss_per_connection", growthPerConnection.map { format($0, 1) } ?? "null"),
        ]
        return "{" + fields.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// Connections one process holds: the hard descriptor limit here is 20,000, minus headroom.
let idleConnectionsPerProcess = 19_000

/// Opens connections in this process and keeps them until `hold` returns.
final class IdleHolder {
    let settings: IdleSettings
    private var group: EventLoopGroup?
    private var tallies: [SubscriberTally] = []

    init(settings: IdleSettings) { self.settings = settings }

    /// Opens `settings.connections` connections; returns (opened, failed, seconds).
    func open() throws -> (opened: Int, failed: Int, seconds: Double) {
        let s = settings
        ProcessStats.raiseDescriptorLimit()
        let group = try EventLoopGroup(count: max(1, s.threads))
        group.start()
        self.group = group
        tallies = group.loops.map { _ in SubscriberTally() }
        let lists = group.loops.map { _ in SubscriberList() }
        let target: FanoutTarget = s.topic.map { .switchboard(topic: $0) } ?? .rawEvents
        let start = MonotonicTime.nanoseconds()
        var started = 0
        func settled() -> Int { tallies.reduce(0) { $0 + $1.ready.load(ordering: .relaxed) + $1.failed.load(ordering: .relaxed) } }
        var lastChange = MonotonicTime.nanoseconds()
        var lastSettled = 0
        while started < s.connections {
            let done = settled()
            if done != lastSettled { lastSettled = done; lastChange = MonotonicTime.nanoseconds() }
            if MonotonicTime.nanoseconds() - lastChange > 10_000_000_000 { break }  // stuck: give up
            let room = min(s.maxPending - (started - done), s.connections - started)
            if room <= 0 { usleep(1_000); continue }
            let wave = min(room, 100)
            let k = (started / 100) % group.loops.count
            let loop = group.loops[k], list = lists[k], tally = tallies[k], endpoint = s.endpoint
            loop.execute {
                for _ in 0..<wave { list.items.append(FanoutSubscriber(endpoint: endpoint, loop: loop, target: target, tally: tally, slow: false)) }
            }
            started += wave
        }
        if !waitUntil(timeoutSeconds: 30, { settled() >= started }) {
            for (k, loop) in group.loops.enumerated() {
                let list = lists[k]
                loop.execute {
                    let stuck = list.items.compactMap { $0.client }.filter { $0.phase != .closed }
                    log("idle: loop \(k): \(stuck.filter { $0.phase == .handshaking }.count) still handshaking, \(stuck.filter { $0.phase == .open }.count) open")
                }
            }
            sleepSeconds(0.5)
        }
        let seconds = Double(MonotonicTime.nanoseconds() - start) / 1e9
        let opened = tallies.reduce(0) { $0 + $1.ready.load(ordering: .relaxed) } - tallies.reduce(0) { $0 + $1.droppedAfterReady.load(ordering: .relaxed) }
        return (max(0, opened), s.connections - max(0, opened), seconds)
    }

    /// Stops the loops (the process exits right after, closing every socket).
    func finish() -> [String: Int] {
        group?.stopAndJoin()
        var reasons: [String: Int] = [:]
        for t in tallies { for (r, n) in t.closeReasons { reasons[r, default: 0] += n } }
        return reasons
    }
}

struct IdleRun {
    let settings: IdleSettings
    /// argv to start a child holding a share: the caller adds `--connections N`.
    let childArguments: [String]

    func run() throws -> IdleReport {
        var report = IdleReport(requested: settings.connections)
        report.rssBefore = settings.serverPID.flatMap { ProcessStats.rssBytes(pid: $0) }
        if settings.connections <= idleConnectionsPerProcess {
            let holder = IdleHolder(settings: settings)
            let r = try holder.open()
            (report.opened, report.failed, report.connectSeconds) = r
            sleepSeconds(1)  // let the server settle (buffers released after the handshakes)
            report.rssAfter = settings.serverPID.flatMap { ProcessStats.rssBytes(pid: $0) }
            sleepSeconds(settings.holdSeconds)
            report.closeReasons = holder.finish()
            return report
        }
        // Several processes: each child prints "ready OPENED FAILED" and holds until stdin closes.
        let start = MonotonicTime.nanoseconds()
        var remaining = settings.connections
        var children: [(Process, Pipe, Pipe)] = []
        while remaining > 0 {
            let share = min(remaining, idleConnectionsPerProcess)
            remaining -= share
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            p.arguments = childArguments + ["--connections", String(share), "--child"]
            let input = Pipe(), output = Pipe()
            p.standardInput = input
            p.standardOutput = output
            try p.run()
            children.append((p, input, output))
        }
        for (_, _, output) in children {
            let line = readLine(from: output.fileHandleForReading)
            let parts = line.split(separator: " ")
            if parts.count == 3, parts[0] == "ready", let o = Int(parts[1]), let f = Int(parts[2]) {
                report.opened += o
                report.failed += f
            } else {
                log("idle: a child answered '\(line)'")
            }
        }
        report.connectSeconds = Double(MonotonicTime.nanoseconds() - start) / 1e9
        sleepSeconds(1)
        report.rssAfter = settings.serverPID.flatMap { ProcessStats.rssBytes(pid: $0) }
        sleepSeconds(settings.holdSeconds)
        for (p, input, _) in children {
            try? input.fileHandleForWriting.close()
            p.waitUntilExit()
        }
        return report
    }

    /// Child side: open the share, report, hold until the parent closes our stdin.
    static func runChild(settings: IdleSettings) throws {
        let holder = IdleHolder(settings: settings)
        let r = try holder.open()
        print("ready \(r.opened) \(r.failed)")
        fflush(stdout)
        while Swift.readLine() != nil {}
        _ = holder.finish()
    }

    private func readLine(from handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            bytes.append(contentsOf: chunk)
            if bytes.contains(10) { break }
        }
        let line = bytes.split(separator: 10, omittingEmptySubsequences: false).first ?? []
        return String(decoding: line, as: UTF8.self)
    }
}
