// The outbound sender's settings (Graph API endpoint and credentials, retries, breaker, pacing)
// (their rows in the SWITCHBOARD_* settings table are in App's Configuration+Outbound.swift).
import Resilience

public struct OutboundSettings: Sendable {
    public var graphBaseURL = "https://graph.facebook.com"
    public var graphAPIVersion = "v21.0"
    /// Unset: POST /api/messages answers 503 outbound_not_configured and nothing is sent.
    public var accessToken: String? = nil
    /// The sending number used when a request names no `phone_number_id`.
    public var defaultPhoneNumberID: String? = nil
    public var sendMaxAttempts = BackoffPolicy.defaultMaxAttempts
    public var breakerFailures = 5
    public var breakerOpenSeconds = 30.0
    public var sendRatePerSecond = 80.0
    /// 0 turns per-recipient pacing off (benchmarks).
    public var pairIntervalMs = 6000
    public var pairBurst = 2.0
    /// Off: a transient failure fails the message at once (run-time switch of issue 6).
    public var retriesEnabled = true
    /// Off: no breaker; every due message is tried whatever the upstream's health.
    public var breakerEnabled = true
    public var graphConnectTimeoutMs = 5000
    public var graphTimeoutMs = 15000

    public init() {}

    /// The Resilience policies these settings describe.
    public var resilience: ResilienceSettings {
        var r = ResilienceSettings()
        r.backoff.maxAttempts = sendMaxAttempts
        r.breaker.consecutiveFailureThreshold = breakerFailures
        r.breaker.openDuration = max(TimeSpan.seconds(breakerOpenSeconds), 1)
        r.sendRatePerSecond = sendRatePerSecond
        r.pairInterval = TimeSpan.milliseconds(UInt64(max(pairIntervalMs, 0)))
        return r
    }

    /// Graph phone number ids are numeric; anything else could change the request path.
    public static func isPhoneNumberID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 32 && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
