// The numbers of one fan-out run, printed for people (aligned lines) and once as a JSON line for
// scripts (bench-compare.sh puts runs side by side from these lines).

struct FanoutReport {
    var label: String
    var subscribersReady = 0
    var subscribersFailed = 0
    var published = 0
    var publishRejected = 0
    var publishError: String?
    var publishSeconds = 0.0
    var deliverySeconds = 0.0
    var windowSeconds = 0.0
    var delivered = 0
    var expected = 0
    var frames = 0
    var gapFrames = 0
    var missingEvents = 0
    var backwardFrames = 0
    var subscribersWithGaps = 0
    var unscannableFrames = 0
    var serverErrors = 0
    var firstServerError: String?
    var latencySamples = 0
    var p50: UInt64 = 0
    var p99: UInt64 = 0
    var p999: UInt64 = 0
    var maxLatency: UInt64 = 0
    var serverCPU: Double?
    var ownCPU = 0.0
    var closeReasons: [String: Int] = [:]
    var slowConsumerOutcome: [String] = []

    var loss: Int { expected - delivered }
    var deliveredPerSecond: Double { deliverySeconds > 0 ? Double(delivered) / deliverySeconds : 0 }
    var framesPerSecond: Double { deliverySeconds > 0 ? Double(frames) / deliverySeconds : 0 }
    var publishRate: Double { publishSeconds > 0 ? Double(published) / publishSeconds : 0 }
    var eventsPerServerCPUSecond: Double? {
        guard let cpu = serverCPU, cpu > 0 else { return nil }
        return Double(delivered) / cpu
    }

    var humanLines: [String] {
        var lines = [
            "== \(label)",
            "subscribers        \(subscribersReady) ready, \(subscribersFailed) failed",
            "published          \(published) in \(format(publishSeconds, 2)) s = \(format(publishRate, 0)) events/s (rejected \(publishRejected))",
            "delivered          \(delivered) events in \(frames) frames = \(format(deliveredPerSecond, 0)) events/s, \(format(framesPerSecond, 0)) frames/s, \(format(frames > 0 ? Double(delivered) / Double(frames) : 0, 1)) events/frame",
            "loss               \(loss) (expected \(expected) = published x subscribers)",
            "seq gaps           \(gapFrames) frames, \(missingEvents) events missing, \(subscribersWithGaps) subscribers affected, \(backwardFrames) backward",
            "latency (µs)       p50 \(p50)  p99 \(p99)  p99.9 \(p999)  max \(maxLatency)  (\(latencySamples) samples, last event of each frame)",
            "server CPU         \(serverCPU.map { format($0, 2) + " s" } ?? "n/a (no --server-pid)")\(eventsPerServerCPUSecond.map { " = \(format($0, 0)) delivered events per CPU-second" } ?? "")",
            "bench CPU          \(format(ownCPU, 2)) s over \(format(windowSeconds, 2)) s",
        ]
        if let publishError { lines.append("publish error      \(publishError)") }
        if serverErrors > 0 { lines.append("server errors      \(serverErrors), first: \(firstServerError ?? "")") }
        if unscannableFrames > 0 { lines.append("unscannable frames \(unscannableFrames)") }
        if !slowConsumerOutcome.isEmpty { lines.append("slow consumers     \(slowConsumerOutcome.joined(separator: ", ")) (close code, or state)") }
        if !closeReasons.isEmpty {
            lines.append("closes             " + closeReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        return lines
    }

    var jsonLine: String {
        var fields: [(String, String)] = [
            ("scenario", jsonString("fanout")), ("label", jsonString(label)),
            ("subscribers", "\(subscribersReady)"), ("subscribers_failed", "\(subscribersFailed)"),
            ("published", "\(published)"), ("publish_rejected", "\(publishRejected)"),
            ("publish_rate", format(publishRate, 1)), ("delivered", "\(delivered)"), ("expected", "\(expected)"),
            ("loss", "\(loss)"), ("frames", "\(frames)"),
            ("delivered_per_s", format(deliveredPerSecond, 1)), ("frames_per_s", format(framesPerSecond, 1)),
            ("gap_frames", "\(gapFrames)"), ("missing_events", "\(missingEvents)"),
            ("subscribers_with_gaps", "\(subscribersWithGaps)"), ("backward_frames", "\(backwardFrames)"),
            ("latency_us_p50", "\(p50)"), ("latency_us_p99", "\(p99)"), ("latency_us_p999", "\(p999)"),
            ("latency_us_max", "\(maxLatency)"), ("latency_samples", "\(latencySamples)"),
            ("server_cpu_s", serverCPU.map { format($0, 3) } ?? "null"),
            ("delivered_per_server_cpu_s", eventsPerServerCPUSecond.map { format($0, 1) } ?? "null"),
            ("bench_cpu_s", format(ownCPU, 3)), ("window_s", format(windowSeconds, 3)),
            ("slow_consumers", "[" + slowConsumerOutcome.map(jsonString).joined(separator: ",") + "]"),
        ]
        if let publishError { fields.append(("publish_error", jsonString(publishError))) }
        return "{" + fields.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// A JSON string literal (quotes, backslashes and control characters escaped).
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
