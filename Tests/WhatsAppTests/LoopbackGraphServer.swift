// A tiny HTTP/1.1 server on 127.0.0.1 for GraphClient tests: blocking POSIX sockets, one thread
// per connection, canned answers chosen by the phone number id in the path.
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Behaviour per phone number id (`/v21.0/<id>/messages`):
/// `ok` 200 with a fresh wamid (or `{"success":true}` for a read receipt), `nomsg` 200 without
/// messages, `e131047` 400 with a Graph error body, `e500` 500 with a non-JSON body, `slow`
/// answers 200 after `slowDelay`, `drop` closes the connection without answering, `hang` reads
/// the request and never answers (the connection stays open until `stop()`).
final class LoopbackGraphServer: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`; sockets are owned by their threads.
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: [UInt8]
    }

    let port: UInt16
    let slowDelay: TimeInterval
    private let listener: Int32
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var _connections = 0
    private var openSockets: Set<Int32> = []
    private var wamidCounter = 0

    init(slowDelay: TimeInterval = 1.5) throws {
        self.slowDelay = slowDelay
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }
    var acceptedConnections: Int { lock.lock(); defer { lock.unlock() }; return _connections }

    func stop() {
        lock.lock()
        let sockets = openSockets
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.lock()
            _connections += 1
            openSockets.insert(fd)
            lock.unlock()
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.lock()
            openSockets.remove(fd)
            lock.unlock()
            close(fd)
        }
        var buffer: [UInt8] = []
        while let request = readRequest(fd, &buffer) {
            lock.lock()
            _requests.append(request)
            wamidCounter += 1
            let n = wamidCounter
            lock.unlock()
            let parts = request.path.split(separator: "/")
            let phone = parts.count >= 2 ? String(parts[1]) : ""
            let isRead = String(decoding: request.body, as: UTF8.self).contains("\"status\":\"read\"")
            switch phone {
            case "ok":
                let body = isRead ? #"{"success":true}"#
                    : #"{"messaging_product":"whatsapp","contacts":[{"input":"15551234567","wa_id":"15551234567"}],"messages":[{"id":"wamid.OK\#(n)"}]}"#
                guard respond(fd, status: "200 OK", body: body) else { return }
            case "nomsg":
                guard respond(fd, status: "200 OK", body: #"{"messaging_product":"whatsapp","contacts":[]}"#) else { return }
            case "e131047":
                let body = #"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"error_subcode":2494010,"fbtrace_id":"AbCdEf"}}"#
                guard respond(fd, status: "400 Bad Request", body: body) else { return }
            case "e500":
                guard respond(fd, status: "500 Internal Server Error", body: "<html>upstream broke</html>", contentType: "text/html") else { return }
            case "slow":
                Thread.sleep(forTimeInterval: slowDelay)
                guard respond(fd, status: "200 OK", body: #"{"messages":[{"id":"wamid.SLOW"}]}"#) else { return }
            case "hang":
                // Blocks until the client goes away or stop() shuts the socket down.
                while readMore(fd, &buffer) {}
                return
            default: // "drop" and anything unknown
                return
            }
        }
    }

    private func respond(_ fd: Int32, status: String, body: String, contentType: String = "application/json") -> Bool {
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\nConnection: keep-alive\r\n\r\n"
        let all = Array(head.utf8) + bytes
        var sent = 0
        while sent < all.count {
            let n = all[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// One request from the connection (headers, then Content-Length bytes); nil on EOF or error.
    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8]) -> Request? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while true {
            if buffer.count >= 4 {
                for i in 0...(buffer.count - 4) where Array(buffer[i..<(i + 4)]) == terminator {
                    headerEnd = i
                    break
                }
            }
            if headerEnd != nil { break }
            guard readMore(fd, &buffer) else { return nil }
        }
        guard let end = headerEnd else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + 4
        while buffer.count < bodyStart + length {
            guard readMore(fd, &buffer) else { return nil }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func readMore(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }
}
