// The fan-out scenario end to end: connect and subscribe everyone, publish for the duration,
// wait for deliveries to settle, then add up the per-loop tallies and the CPU used.
@preconcurrency import Glibc
import Reactor

struct FanoutSettings {
    var subscriberEndpoint: Endpoint
    /// A cluster's second node: every other subscriber connects there.
    var secondSubscriberEndpoint: Endpoint? = nil
    var secondServerPID: Int32? = nil
    var target: FanoutTarget
    var subscribers: Int
    var slowConsumers: Int
    var publisher: Publisher.Via
    var rate: Int
    var maxInFlight: Int
    /// Average events per subscriber the publisher may run ahead of deliveries (rate 0 only).
    var maxLag: Int
    var durationSeconds: Double
    var eventBytes: Int
    var threads: Int
    var serverPID: Int32?
    var label: String
}

/// Subscribers of one loop, kept alive by the run. Loop-confined.
final class SubscriberList: @unchecked Sendable {
    var items: [FanoutSubscriber] = []
}

struct FanoutRun {
    let settings: FanoutSettings

    func run() throws -> FanoutReport {
        let s = settings
        ProcessStats.raiseDescriptorLimit()
        let group = try EventLoopGroup(count: max(1, s.threads) + 1)
        group.start()
        let subscriberLoops = Array(group.loops.dropLast())
        let publisherLoop = group.loops[group.loops.count - 1]
        let tallies = subscriberLoops.map { _ in SubscriberTally() }
        let lists = subscriberLoops.map { _ in SubscriberList() }
        let total = s.subscribers + s.slowConsumers

        // Connect: spread round-robin over the loops, slow consumers last.
        var perLoop = Array(repeating: (normal: 0, slow: 0), count: subscriberLoops.count)
        for i in 0..<total {
            let k = i % subscriberLoops.count
            if i < s.subscribers { perLoop[k].normal += 1 } else { perLoop[k].slow += 1 }
        }
        for (k, loop) in subscriberLoops.enumerated() {
            let list = lists[k], tally = tallies[k], counts = perLoop[k]
            let endpoint = s.subscriberEndpoint, second = s.secondSubscriberEndpoint, target = s.target
            loop.execute {
                for i in 0..<(counts.normal + counts.slow) {
                    let e = (second != nil && (i + k) % 2 == 1) ? second! : endpoint
                    list.items.append(FanoutSubscriber(endpoint: e, loop: loop, target: target, tally: tally, slow: i >= counts.normal))
                }
            }
        }
        let connectStart = MonotonicTime.nanoseconds()
        let settled = waitUntil(timeoutSeconds: 60) {
            tallies.reduce(0) { $0 + $1.ready.load(ordering: .relaxed) + $1.failed.load(ordering: .relaxed) } >= total
        }
        let ready = tallies.reduce(0) { $0 + $1.ready.load(ordering: .relaxed) }
        let connectSeconds = Double(MonotonicTime.nanoseconds() - connectStart) / 1e9
        log("\(s.label): \(ready)/\(total) subscribers ready in \(format(connectSeconds, 2)) s\(settled ? "" : " (timed out)")")

        // Publish.
        let cpuServer0 = s.serverCPUSeconds()
        let cpuOwn0 = ProcessStats.ownCPUSeconds()
        let readers = max(1, ready - s.slowConsumers)
        let maxLag = s.maxLag
        let gateTallies = tallies
        var lagGate: (@Sendable (Int) -> Bool)? = nil
        if maxLag > 0 {
            lagGate = { sent in
                var delivered = 0
                for t in gateTallies { delivered += t.progress.load(ordering: .relaxed) }
                return sent * readers - delivered > maxLag * readers
            }
        }
        let publisher = Publisher(via: s.publisher, loop: publisherLoop, rate: s.rate, maxInFlight: s.maxInFlight,
                                  eventBytes: s.eventBytes, behind: lagGate)
        let publishStart = MonotonicTime.nanoseconds()
        publisherLoop.execute { publisher.start() }
        sleepSeconds(s.durationSeconds)
        publisherLoop.execute { publisher.stop() }
        _ = waitUntil(timeoutSeconds: 5) { publisher.finished.load(ordering: .acquiring) || publisher.inFlightCount.load(ordering: .relaxed) == 0 }

        // Let deliveries settle: all expected events in, or no progress for one second.
        let normalReady = max(0, ready - s.slowConsumers)
        let expected = publisher.ackedCount.load(ordering: .relaxed) * normalReady
        var lastProgress = -1
        var lastChange = MonotonicTime.nanoseconds()
        _ = waitUntil(timeoutSeconds: 15) {
            let delivered = tallies.reduce(0) { $0 + $1.progress.load(ordering: .relaxed) }
            let now = MonotonicTime.nanoseconds()
            if delivered != lastProgress { lastProgress = delivered; lastChange = now }
            return delivered >= expected || now - lastChange > 1_000_000_000
        }
        let settleEnd = MonotonicTime.nanoseconds()
        let cpuServer1 = s.serverCPUSeconds()
        let cpuOwn1 = ProcessStats.ownCPUSeconds()

        // Slow consumers read again, to see whether the server closed them (and with which code).
        if s.slowConsumers > 0 {
            for (k, loop) in subscriberLoops.enumerated() {
                let list = lists[k]
                loop.execute { for sub in list.items where sub.isSlow { sub.resumeReading() } }
            }
            sleepSeconds(1)
        }
        group.stopAndJoin()

        // The loops are joined: their confined state is safe to read here.
        var report = FanoutReport(label: s.label)
        report.subscribersReady = normalReady
        report.subscribersFailed = total - ready
        report.published = publisher.acked
        report.publishRejected = publisher.rejected
        report.publishError = publisher.firstError
        let publishEnd = publisher.stopNs > 0 ? publisher.stopNs : settleEnd
        report.publishSeconds = Double(publishEnd - publishStart) / 1e9
        var lastDelivery: UInt64 = 0
        var latency = tallies[0].latencyMicros
        latency.reset()
        for t in tallies {
            report.delivered += t.events
            report.frames += t.frames
            report.gapFrames += t.gapFrames
            report.missingEvents += t.missingEvents
            report.backwardFrames += t.backwardFrames
            report.subscribersWithGaps += t.subscribersWithGaps
            report.unscannableFrames += t.unscannable
            report.serverErrors += t.errorsFromServer
            if report.firstServerError == nil { report.firstServerError = t.firstError }
            lastDelivery = max(lastDelivery, t.lastDeliveryNs)
            latency.add(t.latencyMicros)
            for (reason, n) in t.closeReasons { report.closeReasons[reason, default: 0] += n }
        }
        report.deliverySeconds = lastDelivery > publishStart ? Double(lastDelivery - publishStart) / 1e9 : 0
        report.expected = report.published * normalReady
        report.latencySamples = Int(latency.totalCount)
        if latency.totalCount > 0 {
            report.p50 = latency.valueAtPercentile(50)
            report.p99 = latency.valueAtPercentile(99)
            report.p999 = latency.valueAtPercentile(99.9)
            report.maxLatency = latency.max
        }
        if let a = cpuServer0, let b = cpuServer1 { report.serverCPU = b - a }
        report.ownCPU = cpuOwn1 - cpuOwn0
        report.windowSeconds = Double(settleEnd - publishStart) / 1e9
        var slowCodes: [String] = []
        for list in lists { for sub in list.items where sub.isSlow {
            slowCodes.append(sub.closeCode.map { String($0) } ?? (sub.closeFailure ?? "open"))
        } }
        report.slowConsumerOutcome = slowCodes
        return report
    }
}

/// Polls `done` every 10 ms on the calling (main) thread.
func waitUntil(timeoutSeconds: Double, _ done: () -> Bool) -> Bool {
    let deadline = MonotonicTime.nanoseconds() + UInt64(timeoutSeconds * 1e9)
    while MonotonicTime.nanoseconds() < deadline {
        if done() { return true }
        usleep(10_000)
    }
    return done()
}

func sleepSeconds(_ s: Double) {
    let deadline = MonotonicTime.nanoseconds() + UInt64(max(0, s) * 1e9)
    while true {
        let now = MonotonicTime.nanoseconds()
        if now >= deadline { return }
        usleep(UInt32(min(deadline - now, 100_000_000) / 1000))
    }
}

func log(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var s = String(rounded)
    if let dot = s.firstIndex(of: ".") {
        let have = s.distance(from: dot, to: s.endIndex) - 1
        if decimals == 0 { s = String(s[..<dot]) } else if have < decimals { s += String(repeating: "0", count: decimals - have) }
    }
    return s
}

extension FanoutSettings {
    /// CPU seconds of the server (both nodes of a two-node cluster), nil without a pid.
    func serverCPUSeconds() -> Double? {
        guard let first = serverPID.flatMap({ ProcessStats.cpuSeconds(pid: $0) }) else { return nil }
        guard let pid = secondServerPID else { return first }
        return ProcessStats.cpuSeconds(pid: pid).map { first + $0 }
    }
}
