// The fan-out publisher: one connection (HTTP keep-alive with pipelining, or a WebSocket with a
// service token) sending events as fast as a bounded in-flight window allows, or at a fixed
// rate. Pipelining on one connection keeps publish order equal to send order, so subscribers'
// seq checks stay meaningful for nchan too.
import Reactor
import Synchronization

// Loop-confined (the publisher's own loop) except the Atomic fields polled by the main thread.
final class Publisher: ConnectionDelegate, WebSocketClientOwner, @unchecked Sendable {
    enum Via {
        /// POST /api/publish with the API key.
        case switchboardHTTP(Endpoint, apiKey: String, topic: String)
        /// {"op":"publish"} frames on a WebSocket whose token has role service.
        case switchboardWebSocket(Endpoint, topic: String)
        /// POST /pub/<topic> to nginx+nchan.
        case nchan(Endpoint)
    }

    private let via: Via
    private let loop: EventLoop
    /// Events per second; 0 means as fast as the in-flight window allows.
    private let rate: Int
    private let maxInFlight: Int
    private let eventBytes: Int
    private var connection: TCPConnection?
    private var webSocket: WebSocketClient?
    private var waiter: ConnectWaiter?
    private var open = false
    private(set) var stopped = false
    private var startNs: UInt64 = 0
    private(set) var stopNs: UInt64 = 0
    private(set) var sent = 0
    private(set) var acked = 0
    private(set) var rejected = 0
    private(set) var firstError: String?
    private var pending = 0

    let ackedCount = Atomic<Int>(0)
    let inFlightCount = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)

    /// Closed loop for rate 0: true while subscribers are too far behind `sent` events.
    private let behind: (@Sendable (Int) -> Bool)?

    init(via: Via, loop: EventLoop, rate: Int, maxInFlight: Int, eventBytes: Int, behind: (@Sendable (Int) -> Bool)? = nil) {
        self.behind = behind
        self.via = via
        self.loop = loop
        self.rate = max(0, rate)
        self.maxInFlight = max(1, maxInFlight)
        self.eventBytes = eventBytes
    }

    /// Connects and starts publishing. Call on the publisher's loop.
    func start() {
        startNs = MonotonicTime.nanoseconds()
        do {
            switch via {
            case .switchboardHTTP(let e, _, _), .nchan(let e):
                let fd = try Sockets.connect(host: e.host, port: e.port)
                let loop = self.loop
                do {
                    waiter = try ConnectWaiter(fd: fd, loop: loop) { [weak self] result in
                        guard let self else { return }
                        self.waiter = nil
                        if case .failure(let f) = result {
                            Sockets.close(fd)
                            return self.fail("publisher \(f)")
                        }
                        let c = TCPConnection(fd: fd, loop: loop, peer: e.host)
                        c.delegate = self
                        do { try c.start() } catch {
                            Sockets.close(fd)
                            return self.fail("publisher register: \(error)")
                        }
                        self.connection = c
                        self.open = true
                        self.pump()
                    }
                } catch {
                    Sockets.close(fd)
                    throw error
                }
            case .switchboardWebSocket(let e, _):
                webSocket = try WebSocketClient(endpoint: e, loop: loop, owner: self)
            }
        } catch {
            fail("publisher connect: \(error)")
            return
        }
        tick()
    }

    /// Stops sending; in-flight publishes are still counted when they are answered.
    func stop() {
        guard !stopped else { return }
        stopped = true
        stopNs = MonotonicTime.nanoseconds()
    }

    private func fail(_ why: String) {
        if firstError == nil { firstError = why }
        stop()
        finished.store(true, ordering: .releasing)
    }

    private func tick() {
        guard !stopped else { return }
        pump()
        loop.schedule(afterNanoseconds: 1_000_000) { [weak self] in self?.tick() }
    }

    private func pump() {
        guard open, !stopped else { return }
        var budget = maxInFlight - pending
        if rate > 0 {
            let elapsed = Double(MonotonicTime.nanoseconds() - startNs) / 1e9
            budget = min(budget, Int(Double(rate) * elapsed) - sent)
        } else if let behind, budget > 0, behind(sent) {
            return  // the 1 ms tick tries again
        }
        while budget > 0 {
            send()
            budget -= 1
        }
    }

    private func send() {
        sent += 1
        pending += 1
        inFlightCount.store(pending, ordering: .relaxed)
        let now = MonotonicTime.nanoseconds()
        switch via {
        case .switchboardHTTP(let e, let key, let topic):
            let body = EventBody.switchboardHTTP(topic: topic, publishNs: now, bytes: eventBytes)
            connection?.enqueue(Self.post(e, path: "/api/publish", apiKey: key, body: body))
        case .nchan(let e):
            let body = EventBody.nchan(seq: sent, publishNs: now, bytes: eventBytes)
            connection?.enqueue(Self.post(e, path: e.target, apiKey: nil, body: body))
        case .switchboardWebSocket(_, let topic):
            webSocket?.sendText(EventBody.switchboardWebSocket(id: sent, topic: topic, publishNs: now, bytes: eventBytes))
        }
    }

    static func post(_ e: Endpoint, path: String, apiKey: String?, body: String) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: \(e.hostHeader)\r\nContent-Type: application/json\r\n"
        if let apiKey { head += "Authorization: Bearer \(apiKey)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        return Array((head + body).utf8)
    }

    private func answered(ok: Bool, detail: @autoclosure () -> String) {
        pending = max(0, pending - 1)
        inFlightCount.store(pending, ordering: .relaxed)
        if ok {
            acked += 1
            ackedCount.add(1, ordering: .relaxed)
        } else {
            rejected += 1
            if firstError == nil { firstError = detail() }
        }
        if stopped && pending == 0 { finished.store(true, ordering: .releasing) }
        if rate == 0 { pump() }
    }

    // MARK: HTTP

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int {
        var used = 0
        while used < bytes.count {
            switch HTTPResponseStream.next(UnsafeRawBufferPointer(rebasing: bytes[used...])) {
            case .needMore:
                return used
            case .failed(let why):
                fail("publish response: \(why)")
                connection.close()
                return bytes.count
            case .response(let r, let consumed):
                used += consumed
                answered(ok: (200..<300).contains(r.status),
                         detail: "\(r.statusLine) \(String(decoding: r.body.prefix(200), as: UTF8.self))")
            }
        }
        return used
    }

    func connectionDidReceiveEOF(_ connection: TCPConnection) { connection.close() }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection) {
        open = false
        fail("publisher connection closed by the server")
    }

    // MARK: WebSocket

    func webSocketDidOpen(_ client: WebSocketClient) {
        open = true
        pump()
    }

    func webSocket(_ client: WebSocketClient, didReceiveText payload: UnsafeRawBufferPointer) {
        let text = String(decoding: payload, as: UTF8.self)
        if text.hasPrefix(#"{"op":"ack""#) {
            answered(ok: true, detail: "")
        } else if text.hasPrefix(#"{"op":"error""#) {
            answered(ok: false, detail: text)
        }
    }

    func webSocketDidClose(_ client: WebSocketClient, closeCode: UInt16?, failure: String?) {
        open = false
        fail("publisher WebSocket closed: \(closeCode.map { "code \($0)" } ?? failure ?? "")")
    }
}
