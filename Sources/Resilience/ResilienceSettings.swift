// Reads the outbound sender's tunables from environment variables, given as a dictionary so
// this module stays free of I/O (the App passes its process environment).

/// A setting that is present but unusable. Misconfiguration is reported, not silently replaced
/// by a default, so an operator's typo does not go unnoticed.
public struct ResilienceConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable code: always "invalid_setting".
    public let code: String
    public let variable: String
    public let value: String
    public let expected: String

    public var description: String {
        "\(code): \(variable)=\"\(FailureClassifier.sanitized(value, limit: 64))\" (expected \(expected))"
    }
}

public struct ResilienceSettings: Sendable, Hashable {
    public var backoff = BackoffPolicy()
    public var breaker = CircuitBreakerConfiguration()
    /// Messages per second per business phone number (Graph default limit: 80).
    public var sendRatePerSecond: Double = 80
    /// Minimum spacing of messages to one recipient.
    public var pairInterval: Nanoseconds = PairPacer.defaultInterval

    public init() {}

    /// Recognised variables (absent ones keep their defaults):
    /// - SWITCHBOARD_SEND_MAX_ATTEMPTS: integer ≥ 1, default 8;
    /// - SWITCHBOARD_BREAKER_FAILURES: integer ≥ 1, default 5;
    /// - SWITCHBOARD_BREAKER_OPEN_S: seconds > 0 (fractions allowed), default 30;
    /// - SWITCHBOARD_SEND_RATE: messages per second > 0, default 80;
    /// - SWITCHBOARD_PAIR_INTERVAL_MS: integer milliseconds ≥ 1, default 6000.
    public init(environment: [String: String]) throws(ResilienceConfigError) {
        if let attempts = try Self.positiveInt(environment, "SWITCHBOARD_SEND_MAX_ATTEMPTS") {
            backoff.maxAttempts = attempts
        }
        if let failures = try Self.positiveInt(environment, "SWITCHBOARD_BREAKER_FAILURES") {
            breaker.consecutiveFailureThreshold = failures
        }
        if let seconds = try Self.positiveDouble(environment, "SWITCHBOARD_BREAKER_OPEN_S") {
            breaker.openDuration = max(TimeSpan.seconds(seconds), 1)
        }
        if let rate = try Self.positiveDouble(environment, "SWITCHBOARD_SEND_RATE") {
            sendRatePerSecond = rate
        }
        if let millis = try Self.positiveInt(environment, "SWITCHBOARD_PAIR_INTERVAL_MS") {
            pairInterval = TimeSpan.milliseconds(UInt64(millis))
        }
    }

    private static func positiveInt(_ environment: [String: String], _ name: String) throws(ResilienceConfigError) -> Int? {
        guard let raw = environment[name] else { return nil }
        guard let value = Int(raw.trimmingSpaces), value >= 1 else {
            throw ResilienceConfigError(code: "invalid_setting", variable: name, value: raw, expected: "an integer >= 1")
        }
        return value
    }

    private static func positiveDouble(_ environment: [String: String], _ name: String) throws(ResilienceConfigError) -> Double? {
        guard let raw = environment[name] else { return nil }
        guard let value = Double(raw.trimmingSpaces), value.isFinite, value > 0 else {
            throw ResilienceConfigError(code: "invalid_setting", variable: name, value: raw, expected: "a number > 0")
        }
        return value
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) }) ?? first
        return self[first...last]
    }
}
