// Rules for the browser's log lines (POST /api/logging/batch): request limits, how a client's
// level maps to a server level, and how a message is cut down before it reaches the log.
import Logging

public enum BrowserLog {
    public static let maxEntries = 500
    public static let maxBodyBytes = 1 << 20
    public static let maxMessageBytes = 8 * 1024
    /// `data` is free-form JSON from the browser; it is kept, but bounded like the message.
    public static let maxDataBytes = 8 * 1024

    /// Browser consoles say `warn`, `log`, `fatal`; anything unknown becomes info, so a client
    /// with an odd level never loses its line.
    public static func level(_ client: String?) -> Logger.Level {
        switch client?.lowercased() {
        case "trace": .trace
        case "debug", "verbose": .debug
        case "info", "log": .info
        case "notice": .notice
        case "warn", "warning": .warning
        case "error": .error
        case "fatal", "critical": .critical
        default: .info
        }
    }

    /// At most `maxBytes` UTF-8 bytes, cut at a scalar boundary and marked, so a truncated line
    /// is never mistaken for a whole one.
    public static func truncate(_ s: String, maxBytes: Int = maxMessageBytes) -> String {
        guard s.utf8.count > maxBytes else { return s }
        var out = String.UnicodeScalarView()
        var used = 0
        for scalar in s.unicodeScalars {
            let width = UTF8.width(scalar)
            if used + width > maxBytes { break }
            out.append(scalar)
            used += width
        }
        return String(out) + "…[truncated]"
    }
}
