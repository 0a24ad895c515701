// Listening and connecting TCP sockets (IPv4 and IPv6 literals), all non-blocking.
@preconcurrency import Glibc
import CLinux

public enum SocketAddress {
    /// Builds a sockaddr for an IP literal; nil if `host` is not an IPv4 or IPv6 literal.
    static func withSockaddr<T>(host: String, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t, Int32) throws -> T) throws -> T? {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            return try withUnsafePointer(to: &v4) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size), AF_INET) }
            }
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            return try withUnsafePointer(to: &v6) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size), AF_INET6) }
            }
        }
        return nil
    }

    /// "ip" of a peer or local address, for logs and per-IP limits.
    static func describe(_ storage: inout sockaddr_storage) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if Int32(storage.ss_family) == AF_INET {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    var a = p.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                }
            }
        } else if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    var a = p.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                }
            }
        }
        return "unknown"
    }
}

public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

public enum Sockets {
    /// A non-blocking listening socket. `reusePort` lets each loop own a listener on the same port.
    public static func listen(host: String, port: UInt16, backlog: Int32 = 4096, reusePort: Bool) throws -> Int32 {
        let fd: Int32? = try SocketAddress.withSockaddr(host: host, port: port) { addr, len, family in
            let fd = try Syscall.blocking("socket") { sb_socket_stream_nonblock(family) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
            do {
                try Syscall.blocking("bind") { Glibc.bind(fd, addr, len) }
                try Syscall.blocking("listen") { Glibc.listen(fd, backlog) }
            } catch {
                Syscall.close(fd)
                throw error
            }
            return fd
        }
        guard let fd else { throw SocketError(message: "host '\(host)' is not an IP address") }
        return fd
    }

    /// The port a socket is bound to (for port 0).
    public static func localPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
    }

    public enum AcceptResult {
        case accepted(fd: Int32, peer: String)
        case wouldBlock
        /// Out of descriptors or memory: keep the listener and back off.
        case exhausted(SystemError)
        case failed(SystemError)
    }

    public static func accept(_ listenFD: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sb_accept4_nonblock(listenFD, $0, &len) }
            }
            if fd >= 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return .accepted(fd: fd, peer: SocketAddress.describe(&storage))
            }
            let e = sb_errno()
            switch e {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(SystemError(call: "accept4", errno: e))
            default: return .failed(SystemError(call: "accept4", errno: e))
            }
        }
    }

    /// Starts a non-blocking connect (clients: benchmarks, tests). Returns the fd; completion is
    /// signalled by writability.
    public static func connect(host: String, port: UInt16) throws -> Int32 {
        let fd: Int32? = try SocketAddress.withSockaddr(host: host, port: port) { addr, len, family in
            let fd = try Syscall.blocking("socket") { sb_socket_stream_nonblock(family) }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let r = Glibc.connect(fd, addr, len)
            if r < 0 {
                let e = sb_errno()
                if e != EINPROGRESS && e != EINTR {
                    Syscall.close(fd)
                    throw SystemError(call: "connect", errno: e)
                }
            }
            return fd
        }
        guard let fd else { throw SocketError(message: "host '\(host)' is not an IP address") }
        return fd
    }

    public static func close(_ fd: Int32) { Syscall.close(fd) }

    public static func shutdownWrite(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
}
