// Settings of logging, health, metrics and alerts, and the run-time feature flags they own:
// kept apart from the core table so the two grow without stepping on each other.

public struct ObservabilitySettings: Sendable, Equatable {
    /// Browser log lines per second per client IP, and the burst a page may send at once.
    public var logRatePerSecond = 20.0
    public var logBurst = 1000.0
    public var healthIntervalSeconds = 5.0
    /// How long the database write+read check may take before it counts as failed.
    public var healthDatabaseTimeoutMs = 2000
    public var alertIntervalSeconds = 5.0
    public var alertForSeconds = 10.0
    public var alertInboxAgeSeconds = 60.0
    public var alertSignatureFailuresPerMinute = 10.0
    public var alert5xxRatio = 0.05
    public var alertWebhookURL: String? = nil
    /// Feature flag: forward alerts to `alertWebhookURL`.
    public var alertForwarding = true
    /// Feature flag: off = a webhook is processed before its 200 goes out.
    public var asyncWebhooks = true

    public init() {}
}

extension Configuration {
    static func onOff(_ v: String) -> Bool? {
        switch v.lowercased() {
        case "on", "true", "1", "yes": true
        case "off", "false", "0", "no": false
        default: nil
        }
    }

    static let observabilitySettings: [Setting] = [
        Setting(env: "SWITCHBOARD_LOG_RATE", flag: nil, help: "browser log lines per second per client IP on POST /api/logging/batch (default 20)") { c, v in
            guard let d = Double(v), d > 0, d <= 1_000_000 else { return "expected a number > 0" }
            c.observability.logRatePerSecond = d; return nil
        },
        Setting(env: "SWITCHBOARD_LOG_BURST", flag: nil, help: "browser log lines a client IP may send at once before 429 (default 1000)") { c, v in
            guard let d = Double(v), d >= 1, d <= 10_000_000 else { return "expected a number >= 1" }
            c.observability.logBurst = d; return nil
        },
        Setting(env: "SWITCHBOARD_HEALTH_INTERVAL_S", flag: nil, help: "seconds between background health checks (default 5)") { c, v in
            guard let d = Double(v), d >= 0.1, d <= 3600 else { return "expected seconds 0.1-3600" }
            c.observability.healthIntervalSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_HEALTH_DB_TIMEOUT_MS", flag: nil, help: "ms the database write+read check may take (default 2000)") { c, v in
            guard let n = Int(v), (10...60_000).contains(n) else { return "expected an integer 10-60000" }
            c.observability.healthDatabaseTimeoutMs = n; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_INTERVAL_S", flag: nil, help: "seconds between alert rule evaluations (default 5)") { c, v in
            guard let d = Double(v), d >= 0.1, d <= 3600 else { return "expected seconds 0.1-3600" }
            c.observability.alertIntervalSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_FOR_S", flag: nil, help: "seconds a condition must hold before its alert fires (default 10)") { c, v in
            guard let d = Double(v), d >= 0, d <= 86400 else { return "expected seconds 0-86400" }
            c.observability.alertForSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_INBOX_AGE_S", flag: nil, help: "age of the oldest unprocessed webhook that fires inbox.backlog (default 60)") { c, v in
            guard let d = Double(v), d > 0, d <= 86400 else { return "expected seconds > 0" }
            c.observability.alertInboxAgeSeconds = d; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_SIGNATURE_FAILURES_PER_MIN", flag: nil, help: "webhook signature failures per minute that fire webhook.signature_failures (default 10)") { c, v in
            guard let d = Double(v), d >= 0 else { return "expected a number >= 0" }
            c.observability.alertSignatureFailuresPerMinute = d; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_5XX_RATIO", flag: nil, help: "share of 5xx answers (of at least 20 requests per interval) that fires http.5xx_ratio (default 0.05)") { c, v in
            guard let d = Double(v), d >= 0, d <= 1 else { return "expected a ratio 0-1" }
            c.observability.alert5xxRatio = d; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_WEBHOOK_URL", flag: nil, help: "http(s) URL that receives firing/resolved alerts as a JSON POST with a Slack-compatible text field") { c, v in
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else { return "expected an http(s) URL" }
            c.observability.alertWebhookURL = v; return nil
        },
        Setting(env: "SWITCHBOARD_ALERT_FORWARDING", flag: nil, help: "feature flag on|off: forward alerts to SWITCHBOARD_ALERT_WEBHOOK_URL (default on)") { c, v in
            guard let b = onOff(v) else { return "expected on or off" }
            c.observability.alertForwarding = b; return nil
        },
        Setting(env: "SWITCHBOARD_ASYNC_WEBHOOKS", flag: nil, help: "feature flag on|off: off = a webhook is processed into conversations before its 200 (default on)") { c, v in
            guard let b = onOff(v) else { return "expected on or off" }
            c.observability.asyncWebhooks = b; return nil
        },
    ]
}
