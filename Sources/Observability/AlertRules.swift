// Alert rules and their evaluation: a rule looks at one snapshot of the process's numbers and
// says whether its condition holds; the engine turns conditions into `alert.firing` once the
// condition has held for the rule's `for` duration (no flapping) and into `alert.resolved` when
// it clears. Pure: time is passed in, so tests drive it with any clock.

/// The numbers the rules look at, gathered by the alert monitor each interval. Rates are over
/// the interval since the previous snapshot.
public struct AlertInputs: Sendable, Equatable {
    /// Nil when no outbound sender is registered.
    public var breakerState: String?
    public var graphTokenRejected = false
    public var inboxOldestAgeMs: Int64?
    public var deadLetters = 0
    public var signatureFailuresPerMinute = 0.0
    public var httpRequestsInWindow = 0
    public var http5xxInWindow = 0
    /// Webhooks answered 503 because SWITCHBOARD_WA_APP_SECRET is unset. Those 503s are the
    /// configured behaviour of a missing integration, not failures: they count toward
    /// `whatsapp.not_configured` and are left out of the 5xx ratio (numerator and denominator).
    public var webhooksRefusedUnconfiguredInWindow = 0
    public var databaseOK = true
    public var databaseError: String?
    /// Clustered: this node cannot reach the backplane (Redis).
    public var backplaneDown = false

    public init() {}

    /// Requests in the window that say something about the server's health.
    public var httpRequestsCounted: Int {
        max(0, httpRequestsInWindow - webhooksRefusedUnconfiguredInWindow)
    }

    public var http5xxRatio: Double {
        // The counters are read one after the other while requests go on: clamp, never negative.
        let failures = max(0, http5xxInWindow - webhooksRefusedUnconfiguredInWindow)
        return httpRequestsCounted > 0 ? min(1, Double(failures) / Double(httpRequestsCounted)) : 0
    }
}

/// Thresholds and `for` durations; defaults are documented in the README.
public struct AlertThresholds: Sendable, Equatable {
    public var forMs: Int64 = 10_000
    public var inboxOldestAgeMs: Int64 = 60_000
    public var signatureFailuresPerMinute = 10.0
    public var http5xxRatio = 0.05
    /// Fewer requests than this in a window never make a 5xx ratio (one failed request of two is
    /// not an outage).
    public var http5xxMinRequests = 20

    public init() {}
}

public enum AlertCondition: Sendable, Equatable {
    case clear
    case active(labels: [String: String])
}

public struct AlertRule: Sendable {
    public let key: String
    public let severity: AlertSeverity
    public let summary: String
    public let forMs: Int64
    public let condition: @Sendable (AlertInputs) -> AlertCondition

    public init(key: String, severity: AlertSeverity, summary: String, forMs: Int64,
                condition: @escaping @Sendable (AlertInputs) -> AlertCondition) {
        self.key = key
        self.severity = severity
        self.summary = summary
        self.forMs = forMs
        self.condition = condition
    }

    /// The built-in rules. Dead letters fire at once: a dead letter is a fact, not a flap.
    public static func standard(_ t: AlertThresholds) -> [AlertRule] {
        [
            AlertRule(key: "whatsapp.breaker_open", severity: .critical,
                      summary: "the Graph API circuit breaker is open; replies wait in the outbox", forMs: t.forMs) { i in
                i.breakerState == "open" ? .active(labels: ["breaker": "graph"]) : .clear
            },
            AlertRule(key: "whatsapp.token_rejected", severity: .critical,
                      summary: "the Graph API rejected the access token (error 190); rotate it", forMs: 0) { i in
                i.graphTokenRejected ? .active(labels: ["code": "190"]) : .clear
            },
            AlertRule(key: "inbox.backlog", severity: .warning,
                      summary: "the oldest unprocessed webhook is older than \(t.inboxOldestAgeMs / 1000) s", forMs: t.forMs) { i in
                guard let age = i.inboxOldestAgeMs, age > t.inboxOldestAgeMs else { return .clear }
                return .active(labels: ["oldest_age_s": String(age / 1000)])
            },
            AlertRule(key: "inbox.dead_letter", severity: .warning,
                      summary: "webhooks could not be processed and wait in the dead-letter table", forMs: 0) { i in
                i.deadLetters > 0 ? .active(labels: ["count": String(i.deadLetters)]) : .clear
            },
            AlertRule(key: "webhook.signature_failures", severity: .warning,
                      summary: "webhook signature failures above \(Self.number(t.signatureFailuresPerMinute))/min", forMs: t.forMs) { i in
                i.signatureFailuresPerMinute > t.signatureFailuresPerMinute
                    ? .active(labels: ["per_minute": Self.number(i.signatureFailuresPerMinute)]) : .clear
            },
            AlertRule(key: "http.5xx_ratio", severity: .critical,
                      summary: "more than \(Self.number(t.http5xxRatio * 100))% of HTTP requests fail with 5xx", forMs: t.forMs) { i in
                i.httpRequestsCounted >= t.http5xxMinRequests && i.http5xxRatio > t.http5xxRatio
                    ? .active(labels: ["ratio": Self.number(i.http5xxRatio)]) : .clear
            },
            AlertRule(key: "whatsapp.not_configured", severity: .warning,
                      summary: "webhooks are refused with 503: SWITCHBOARD_WA_APP_SECRET is not set", forMs: 0) { i in
                i.webhooksRefusedUnconfiguredInWindow > 0
                    ? .active(labels: ["refused": String(i.webhooksRefusedUnconfiguredInWindow)]) : .clear
            },
            AlertRule(key: "database.unhealthy", severity: .critical,
                      summary: "the database write+read check is failing", forMs: t.forMs) { i in
                i.databaseOK ? .clear : .active(labels: ["error": i.databaseError ?? "unknown"])
            },
            AlertRule(key: "hub.backplane_down", severity: .critical,
                      summary: "this node cannot reach the cluster backplane (Redis): publishes are refused, WebSockets moved away", forMs: 0) { i in
                i.backplaneDown ? .active(labels: [:]) : .clear
            },
        ]
    }

    static func number(_ d: Double) -> String {
        let rounded = (d * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

public enum AlertTransition: Sendable, Equatable {
    case firing(Alert)
    case resolved(Alert, atMs: Int64)
}

public struct AlertEngine: Sendable {
    public let rules: [AlertRule]
    private var pendingSinceMs: [String: Int64] = [:]
    private var active: [String: Alert] = [:]

    public init(rules: [AlertRule]) {
        self.rules = rules
    }

    /// Firing alerts, oldest first.
    public var firing: [Alert] {
        active.values.sorted { ($0.firingSinceMs, $0.key) < ($1.firingSinceMs, $1.key) }
    }

    public mutating func evaluate(_ inputs: AlertInputs, nowMs: Int64) -> [AlertTransition] {
        var out: [AlertTransition] = []
        for rule in rules {
            switch rule.condition(inputs) {
            case .clear:
                pendingSinceMs[rule.key] = nil
                if let alert = active.removeValue(forKey: rule.key) {
                    out.append(.resolved(alert, atMs: nowMs))
                }
            case .active(let labels):
                if active[rule.key] != nil {
                    // Already announced: labels follow the numbers, but nothing is re-published.
                    active[rule.key]?.labels = labels
                    continue
                }
                let since = pendingSinceMs[rule.key] ?? nowMs
                pendingSinceMs[rule.key] = since
                if nowMs &- since >= rule.forMs {
                    let alert = Alert(key: rule.key, severity: rule.severity, summary: rule.summary,
                                      labels: labels, firingSinceMs: nowMs)
                    active[rule.key] = alert
                    pendingSinceMs[rule.key] = nil
                    out.append(.firing(alert))
                }
            }
        }
        return out
    }
}
