// Checks a SWITCHBOARD_DATABASE_URL-style connection URI before libpq sees it, and keeps its
// password out of every message.
import Foundation

public enum ConnectionURL {
    /// True for the two URI schemes libpq accepts.
    public static func hasPostgresScheme(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// The password written in the URI's authority (user:password@host), percent-decoded, or nil.
    /// A password passed as a `password=` query parameter is found too.
    static func password(in url: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = url.range(of: "://") {
            let rest = url[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    let raw = String(userInfo[userInfo.index(after: colon)...])
                    found.append(raw)
                    if let decoded = raw.removingPercentEncoding, decoded != raw { found.append(decoded) }
                }
            }
        }
        if let query = url.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") where pair.lowercased().hasPrefix("password=") {
                let raw = String(pair.dropFirst("password=".count))
                found.append(raw)
                if let decoded = raw.removingPercentEncoding, decoded != raw { found.append(decoded) }
            }
        }
        return found.filter { !$0.isEmpty }
    }

    /// `text` with every occurrence of the URI's password replaced by "***".
    public static func redacting(_ text: String, passwordOf url: String) -> String {
        var redacted = text
        for secret in password(in: url) {
            redacted = redacted.replacingOccurrences(of: secret, with: "***")
        }
        return redacted
    }

    /// The URI with its password replaced, for logs ("postgresql://user:***@host/db").
    public static func redacted(_ url: String) -> String {
        redacting(url, passwordOf: url)
    }
}
