// The numbers behind the ops console's inbound, outbound and hub panels, as one JSON object: the
// same figures /metrics and /health compute (and the last /health report itself), read from the
// store, the counter totals and the hub's atomics at request time. Pure: gathered by
// OpsSummaryRoute, encoded here.
import JSON

public struct OpsSummary: Sendable, Equatable {
    public struct Inbound: Sendable, Equatable {
        public var pending = 0
        public var processing = 0
        public var oldestPendingAgeMs: Int64?
        public var deadLetters = 0
        public var webhooksReceived: Int64 = 0
        public var signatureFailures: Int64 = 0
        /// Processed webhooks' outcomes: done, retry, dead.
        public var processed: [String: Int64] = [:]
        public init() {}
    }

    public struct Outbound: Sendable, Equatable {
        /// False when SWITCHBOARD_WA_ACCESS_TOKEN is unset (sending off).
        public var configured = false
        /// Outbox rows per status; queued, retrying, sending and failed are always present.
        public var depth: [String: Int] = [:]
        public var oldestActiveAgeMs: Int64?
        /// Send outcomes so far: sent, failed, retried.
        public var sends: [String: Int64] = [:]
        /// closed, open or half_open.
        public var breaker = "closed"
        /// Wall-clock ms when the open breaker lets its probe through (null unless open), so the
        /// console counts down from its first poll, not only after a `breaker.state_changed`.
        public var breakerOpenUntilMs: Int64?
        public var lastSuccessMs: Int64?
        public var lastFailureMs: Int64?
        public init() {}
    }

    public struct HubFigures: Sendable, Equatable {
        public var connections = 0
        public var subscriptions = 0
        public var topics = 0
        public var eventsPublished = 0
        public var eventsDelivered = 0
        public var slowConsumerCloses = 0
        public init() {}
    }

    public var nowMs: Int64
    public var inbound = Inbound()
    public var outbound = Outbound()
    public var hub = HubFigures()
    public var alertsFiring = 0
    /// The last background health report as GET /health encodes it, so the console reads health
    /// with the figures in one request (and never sees /health's 503 as a failed load).
    public var healthJSON: [UInt8]?

    public init(nowMs: Int64) {
        self.nowMs = nowMs
    }

    static let outboxStatuses = ["queued", "retrying", "sending", "failed"]

    public func json() -> [UInt8] {
        func int(_ v: Int) -> JSONValue { .number(String(v)) }
        func int64(_ v: Int64?) -> JSONValue { v.map { .number(String($0)) } ?? .null }
        func counts(_ m: [String: Int64], _ keys: [String]) -> JSONValue {
            .object(keys.map { ($0, .number(String(m[$0] ?? 0))) })
        }
        var depthKeys = Self.outboxStatuses
        depthKeys += outbound.depth.keys.filter { !depthKeys.contains($0) }.sorted()
        let value: JSONValue = .object([
            ("now_ms", int64(nowMs)),
            ("inbound", .object([
                ("pending", int(inbound.pending)), ("processing", int(inbound.processing)),
                ("oldest_pending_age_ms", int64(inbound.oldestPendingAgeMs)), ("dead_letters", int(inbound.deadLetters)),
                ("webhooks_received", int64(inbound.webhooksReceived)), ("signature_failures", int64(inbound.signatureFailures)),
                ("processed", counts(inbound.processed, ["done", "retry", "dead"])),
            ])),
            ("outbound", .object([
                ("configured", .bool(outbound.configured)),
                ("depth", .object(depthKeys.map { ($0, int(outbound.depth[$0] ?? 0)) })),
                ("oldest_active_age_ms", int64(outbound.oldestActiveAgeMs)),
                ("sends", counts(outbound.sends, ["sent", "failed", "retried"])),
                ("breaker", .string(outbound.breaker)), ("breaker_open_until", int64(outbound.breakerOpenUntilMs)),
                ("last_success_ms", int64(outbound.lastSuccessMs)), ("last_failure_ms", int64(outbound.lastFailureMs)),
            ])),
            ("hub", .object([
                ("connections", int(hub.connections)), ("subscriptions", int(hub.subscriptions)), ("topics", int(hub.topics)),
                ("events_published", int(hub.eventsPublished)), ("events_delivered", int(hub.eventsDelivered)),
                ("slow_consumer_closes", int(hub.slowConsumerCloses)),
            ])),
            ("alerts_firing", int(alertsFiring)),
        ])
        var out = JSONWriter.encode(value)
        out.removeLast()  // the closing brace: the report is spliced in as it is
        out.append(contentsOf: #","health":"#.utf8)
        out.append(contentsOf: healthJSON ?? Array("null".utf8))
        out.append(UInt8(ascii: "}"))
        return out
    }
}
