// An alert as ops see it on the `alerts` topic and in GET /api/alerts: a stable key, a severity,
// a one-line summary, labels and the moment it started firing.

public enum AlertSeverity: String, Sendable, Equatable {
    case warning, critical
}

public struct Alert: Sendable, Equatable {
    public let key: String
    public let severity: AlertSeverity
    public let summary: String
    public var labels: [String: String]
    public let firingSinceMs: Int64

    public init(key: String, severity: AlertSeverity, summary: String, labels: [String: String], firingSinceMs: Int64) {
        self.key = key
        self.severity = severity
        self.summary = summary
        self.labels = labels
        self.firingSinceMs = firingSinceMs
    }

    /// `{"key","severity","summary","labels":{...},"firing_since"}` plus `resolved_at` once cleared.
    public func json(resolvedAtMs: Int64? = nil) -> [UInt8] {
        var out: [UInt8] = Array(#"{"key":"#.utf8)
        LogText.appendJSONString(key, to: &out)
        out.append(contentsOf: #","severity":"#.utf8)
        LogText.appendJSONString(severity.rawValue, to: &out)
        out.append(contentsOf: #","summary":"#.utf8)
        LogText.appendJSONString(summary, to: &out)
        out.append(contentsOf: #","labels":{"#.utf8)
        for (i, (k, v)) in labels.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            LogText.appendJSONString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            LogText.appendJSONString(v, to: &out)
        }
        out.append(contentsOf: #"},"firing_since":"#.utf8)
        LogText.appendJSONString(RFC3339.format(milliseconds: firingSinceMs), to: &out)
        if let resolvedAtMs {
            out.append(contentsOf: #","resolved_at":"#.utf8)
            LogText.appendJSONString(RFC3339.format(milliseconds: resolvedAtMs), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Slack-compatible one-liner for the forwarding webhook.
    public func text(resolved: Bool) -> String {
        let state = resolved ? "RESOLVED" : "FIRING"
        let labelText = labels.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "[\(state)] [\(severity.rawValue)] \(key): \(summary)" + (labelText.isEmpty ? "" : " (\(labelText))")
    }
}
