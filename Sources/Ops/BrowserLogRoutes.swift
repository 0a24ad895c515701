// POST /api/logging/batch: the browser's console lines become server log lines with
// source "frontend", bounded per request (500 entries, 1 MiB, 8 KiB per message) and per
// client IP (a token bucket: one token per entry, 429 with Retry-After when empty).
import Server
import HTTP
import JSON
import Logging
import Observability
import Reactor
import Resilience
import Locks
import Synchronization

public final class BrowserLogRoutes: Sendable {
    let logger: Logger
    let metrics: SwitchboardMetrics
    let ratePerSecond: Double
    let burst: Double
    private let buckets = Locked<[String: TokenBucket]>([:])
    /// Client IPs remembered at once; past this, full buckets (idle clients) are forgotten.
    static let maxTrackedClients = 10_000

    public init(logger: Logger, metrics: SwitchboardMetrics, ratePerSecond: Double, burst: Double) {
        self.logger = logger
        self.metrics = metrics
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    public func register(on server: Server) {
        server.addRoute(.post, "/api/logging/batch") { ctx in self.receive(ctx) }
    }

    func receive(_ ctx: RequestContext) -> RouteResult {
        let body = ctx.request.body
        guard body.count <= BrowserLog.maxBodyBytes else {
            return .failure(APIError(status: 413, code: "payload_too_large", message: "log batches are limited to \(BrowserLog.maxBodyBytes) bytes"))
        }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(body)
        } catch {
            return .failure(.badRequest("body is not valid JSON: \(error.message)"))
        }
        let entries: [JSONValue]
        if let a = parsed.arrayValue {
            entries = a
        } else if let a = parsed["logs"]?.arrayValue {
            entries = a
        } else {
            return .failure(.badRequest("body must be a JSON array of log entries or {\"logs\":[...]}"))
        }
        guard entries.count <= BrowserLog.maxEntries else {
            return .failure(APIError(status: 413, code: "payload_too_large", message: "at most \(BrowserLog.maxEntries) entries per batch"))
        }
        if let wait = take(Double(max(entries.count, 1)), for: Self.clientIP(ctx.peer)) {
            let seconds = max(1, Int((Double(wait) / 1e9).rounded(.up)))
            return .failure(APIError(status: 429, code: "rate_limited", message: "too many log lines from this client; retry later",
                                     headers: [("Retry-After", String(seconds))]))
        }
        for entry in entries { log(entry, requestID: ctx.requestID, peer: ctx.peer) }
        metrics.logBatchEntries.increment(by: entries.count)
        return .response(.json(200, #"{"success":true,"count":\#(entries.count)}"#))
    }

    /// One entry → one log line. A non-object entry is logged as its JSON text, so nothing the
    /// browser sent is lost; the log handlers escape control characters.
    private func log(_ entry: JSONValue, requestID: String, peer: String) {
        var metadata: Logger.Metadata = ["source": "frontend", "correlation_id": .string(requestID), "http.peer": .string(peer)]
        let message: String
        var level = Logger.Level.info
        if case .object = entry {
            level = BrowserLog.level(entry["level"]?.stringValue)
            message = entry["message"].map(Self.text) ?? ""
            if let ts = entry["timestamp"] { metadata["client_ts"] = .string(BrowserLog.truncate(Self.text(ts), maxBytes: 64)) }
            if let data = entry["data"] {
                metadata["data"] = .string(BrowserLog.truncate(String(decoding: JSONWriter.encode(data), as: UTF8.self), maxBytes: BrowserLog.maxDataBytes))
            }
        } else {
            message = Self.text(entry)
        }
        logger.log(level: level, "\(BrowserLog.truncate(message))", metadata: metadata)
    }

    static func text(_ v: JSONValue) -> String {
        v.stringValue ?? String(decoding: JSONWriter.encode(v), as: UTF8.self)
    }

    /// Nil when taken; otherwise nanoseconds until the bucket could hold `count` tokens.
    private func take(_ count: Double, for client: String) -> UInt64? {
        let now = MonotonicClock().now
        return buckets.withLock { map -> UInt64? in
            if map.count >= Self.maxTrackedClients, map[client] == nil {
                map = map.filter { !$0.value.isFull(now: now) }
                if map.count >= Self.maxTrackedClients { map.removeAll() }
            }
            var bucket = map[client] ?? TokenBucket(ratePerSecond: ratePerSecond, burst: burst, now: now)
            defer { map[client] = bucket }
            if bucket.tryTake(now: now, count: min(count, burst)) { return nil }
            let missing = min(count, burst) - bucket.available(now: now)
            return UInt64(max(0, missing / ratePerSecond) * 1e9)
        }
    }

    /// "1.2.3.4:5678" → "1.2.3.4"; "[::1]:5678" → "::1".
    static func clientIP(_ peer: String) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        if let colon = peer.lastIndex(of: ":"), peer.filter({ $0 == ":" }).count == 1 {
            return String(peer[..<colon])
        }
        return peer
    }
}
