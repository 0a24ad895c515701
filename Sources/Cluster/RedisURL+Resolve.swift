// Host names in SWITCHBOARD_REDIS_URL are resolved once, at start-up, on the starting thread:
// the connection on the reactor only ever connects to an address (no DNS on a loop).
@preconcurrency import Glibc

extension RedisURL {
    /// The URL with its host replaced by an IP address (the first IPv4 one, else IPv6); itself
    /// when the host is already a literal; nil when the name does not resolve. Blocking.
    public func resolved() -> RedisURL? {
        if host == "localhost" { return with(host: "127.0.0.1") }
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return self }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        var fallback: String?
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if n.pointee.ai_family == AF_INET, let sa = n.pointee.ai_addr {
                var addr = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                if inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count)) != nil {
                    return with(host: String(cString: buffer))
                }
            } else if n.pointee.ai_family == AF_INET6, fallback == nil, let sa = n.pointee.ai_addr {
                var addr = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                if inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil { fallback = String(cString: buffer) }
            }
            node = n.pointee.ai_next
        }
        return fallback.map { with(host: $0) }
    }

    private func with(host: String) -> RedisURL {
        var copy = self
        copy.host = host
        return copy
    }
}
