// SWITCHBOARD_REDIS_URL: `redis://[:password@]host:port[/db]`. Parsed without I/O; the host must
// be an IP literal or a name the caller resolves off the reactor (start-up), never on a loop.

public struct RedisURL: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    public var password: String?
    public var database: Int

    public init(host: String, port: UInt16 = 6379, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// nil for anything but `redis://[:password@]host[:port][/db]` (user names, TLS, query
    /// strings and out-of-range values are refused, so a typo stops start-up).
    public init?(_ text: String) {
        guard text.hasPrefix("redis://") else { return nil }
        var rest = Substring(text.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at]
            guard auth.first == ":", auth.count > 1 else { return nil }
            password = String(auth.dropFirst())
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), (0...15).contains(n) else { return nil }
                database = n
            }
            rest = rest[..<slash]
        }
        var port: UInt16 = 6379
        var host = rest
        if host.hasPrefix("[") {  // [IPv6]:port
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.first == ":", let p = UInt16(after.dropFirst()), p > 0 else { return nil }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = UInt16(host[host.index(after: colon)...]), p > 0 else { return nil }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else { return nil }
        self.init(host: String(host), port: port, password: password, database: database)
    }
}
