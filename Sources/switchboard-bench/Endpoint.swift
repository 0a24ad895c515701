// Where the bench connects: host, port and request target parsed from a ws:// or http:// URL
// given on the command line. Only IP literals are accepted: the reactor does no DNS.

struct Endpoint: Sendable, Equatable {
    enum Scheme: String, Sendable { case ws, http }
    var scheme: Scheme
    var host: String
    var port: UInt16
    /// Path plus query, always starting with "/".
    var target: String

    struct ParseError: Error, CustomStringConvertible {
        let code = "bench_bad_url"
        let message: String
        var description: String { "\(code): \(message)" }
    }

    init(scheme: Scheme, host: String, port: UInt16, target: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
    }

    /// Accepts `ws://h:p/path?q` and `http://h:p/path?q`; `localhost` is read as 127.0.0.1.
    init(parsing text: String) throws {
        let schemeEnd = text.range(of: "://")
        guard let schemeEnd, let scheme = Scheme(rawValue: String(text[..<schemeEnd.lowerBound])) else {
            throw ParseError(message: "'\(text)' must start with ws:// or http://")
        }
        self.scheme = scheme
        let rest = text[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        target = slash == rest.endIndex ? "/" : String(rest[slash...])
        var hostPart = Substring(authority)
        var portPart: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ParseError(message: "unclosed IPv6 literal in '\(text)'") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { throw ParseError(message: "junk after host in '\(text)'") }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw ParseError(message: "no host in '\(text)'") }
        host = hostPart == "localhost" ? "127.0.0.1" : String(hostPart)
        if let portPart {
            guard let p = UInt16(portPart), p > 0 else { throw ParseError(message: "bad port in '\(text)'") }
            port = p
        } else {
            port = 80
        }
    }

    /// The Host header value.
    var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The same endpoint with a different request target (e.g. a query parameter added).
    func with(target: String) -> Endpoint {
        var copy = self
        copy.target = target
        return copy
    }
}
