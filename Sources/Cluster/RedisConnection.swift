// One connection to Redis on a reactor loop: non-blocking connect, commands pipelined (every
// command queued in a loop turn goes out in one write; replies are matched to callbacks in
// order), replies parsed incrementally with RESPParser, and a reconnect with capped, jittered
// backoff whenever the connection drops or Redis stops answering. A subscriber connection also
// passes pub/sub messages to `onMessage`. Loop-confined: call everything on `loop`.
@preconcurrency import Glibc
import Reactor

public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    static let disconnected = RedisError("not connected to Redis")
}

public typealias RedisReply = Result<RESPValue, RedisError>

public final class RedisConnection: ConnectionDelegate {
    public enum State: Sendable, Equatable { case down, connecting, up }

    public let loop: EventLoop
    let url: RedisURL
    let name: String
    public private(set) var state: State = .down
    /// Called when the connection is ready (after AUTH/SELECT), and after every reconnect.
    public var onUp: (() -> Void)?
    /// Called once per loss of a connection that was up.
    public var onDown: (() -> Void)?
    /// Pub/sub `message` pushes: (channel, payload).
    public var onMessage: ((_ channel: [UInt8], _ payload: [UInt8]) -> Void)?

    private var tcp: TCPConnection?
    private var callbacks: [(RedisReply) -> Void] = []
    private var callbackHead = 0
    private var attempt = 0
    private var stopped = false
    private var connectTimer: TimerID?
    private var reconnectTimer: TimerID?
    /// Replies owed by Redis since this instant (monotonic ns): a reply overdue by `replyTimeout`
    /// means a hung server or a silent network, and the connection is dropped.
    private var oldestOutstandingSince: UInt64?
    private var watchdog: TimerID?
    static let connectTimeoutNs: UInt64 = 2_000_000_000
    static let replyTimeoutNs: UInt64 = 3_000_000_000

    public init(url: RedisURL, loop: EventLoop, name: String) {
        self.url = url
        self.loop = loop
        self.name = name
    }

    public func start() {
        stopped = false
        connect()
        armWatchdog()
    }

    public func stop() {
        stopped = true
        if let t = reconnectTimer { loop.cancel(t) }
        if let t = watchdog { loop.cancel(t) }
        tcp?.close()
    }

    /// Drops the connection (it reconnects with backoff): for a connection that is up but no
    /// longer delivers what it should.
    public func drop() {
        tcp?.close()
    }

    /// Queues one command; `completion` runs on the loop with its reply (a Redis error reply is
    /// `.success(.error(...))`), or `.failure` if the connection is not up or drops first.
    public func send(_ args: [[UInt8]], _ completion: @escaping (RedisReply) -> Void) {
        guard state == .up, let tcp else {
            completion(.failure(.disconnected))
            return
        }
        write(args, on: tcp, completion)
    }

    public func send(_ args: String..., completion: @escaping (RedisReply) -> Void) {
        send(args.map { Array($0.utf8) }, completion)
    }

    /// Commands awaiting replies.
    public var outstanding: Int { callbacks.count - callbackHead }

    private func write(_ args: [[UInt8]], on tcp: TCPConnection, _ completion: @escaping (RedisReply) -> Void) {
        var out: [UInt8] = []
        RESPEncoder.appendCommand(args, to: &out)
        if outstanding == 0 { oldestOutstandingSince = MonotonicTime.nanoseconds() }
        callbacks.append(completion)
        tcp.enqueue(out)
    }

    // MARK: connecting

    private func connect() {
        guard !stopped, tcp == nil else { return }
        state = .connecting
        let host = url.host  // an address: names are resolved at start-up (RedisURL.resolved)
        do {
            let fd = try Sockets.connect(host: host, port: url.port)
            let c = TCPConnection(fd: fd, loop: loop, peer: "\(host):\(url.port)")
            c.delegate = self
            try c.start()
            tcp = c
        } catch {
            scheduleReconnect()
            return
        }
        guard let tcp else { return }
        // The handshake is pipelined behind the connect: replies arrive once it completes.
        if let password = url.password {
            write([Array("AUTH".utf8), Array(password.utf8)], on: tcp) { [weak self] r in self?.checkHandshake(r) }
        }
        if url.database != 0 {
            write([Array("SELECT".utf8), Array(String(url.database).utf8)], on: tcp) { [weak self] r in self?.checkHandshake(r) }
        }
        write([Array("PING".utf8)], on: tcp) { [weak self] r in
            guard let self, case .success(let v) = r, !v.isError else { self?.checkHandshake(r); return }
            if let t = connectTimer { loop.cancel(t) }
            connectTimer = nil
            state = .up
            attempt = 0
            onUp?()
        }
        connectTimer = loop.schedule(afterNanoseconds: Self.connectTimeoutNs) { [weak self] in
            guard let self, state == .connecting else { return }
            tcp.close()
        }
    }

    private func checkHandshake(_ reply: RedisReply) {
        if case .success(let v) = reply, !v.isError { return }
        tcp?.close()  // wrong password or database: retried with backoff, reported as down
    }

    private func scheduleReconnect() {
        guard !stopped else { return }
        // 100 ms doubling to 5 s, with jitter in [50%, 100%] so nodes do not return in lockstep.
        let ceiling = min(5_000_000_000, UInt64(100_000_000) << UInt64(min(attempt, 6)))
        attempt += 1
        let delay = ceiling / 2 + UInt64.random(in: 0...(ceiling / 2))
        reconnectTimer = loop.schedule(afterNanoseconds: delay) { [weak self] in
            self?.reconnectTimer = nil
            self?.connect()
        }
    }

    private func armWatchdog() {
        watchdog = loop.schedule(afterNanoseconds: 500_000_000) { [weak self] in
            guard let self, !stopped else { return }
            if state == .up, outstanding > 0, let since = oldestOutstandingSince,
               MonotonicTime.nanoseconds() - since > Self.replyTimeoutNs {
                tcp?.close()
            }
            armWatchdog()
        }
    }

    // MARK: ConnectionDelegate

    public func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            switch RESPParser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .needMore:
                return offset
            case .invalid:
                connection.close()
                return bytes.count
            case .value(let v, let consumed):
                offset += consumed
                dispatch(v)
                if connection.isClosed { return bytes.count }
            }
        }
        return offset
    }

    private func dispatch(_ value: RESPValue) {
        if let items = value.arrayValue, items.count == 3, items[0].bytesValue == Self.messageKind,
           let channel = items[1].bytesValue, let payload = items[2].bytesValue {
            onMessage?(channel, payload)
            return
        }
        guard callbackHead < callbacks.count else { return }  // unsolicited: ignore
        let callback = callbacks[callbackHead]
        callbackHead += 1
        if callbackHead == callbacks.count {
            callbacks.removeAll(keepingCapacity: true)
            callbackHead = 0
            oldestOutstandingSince = nil
        } else {
            oldestOutstandingSince = MonotonicTime.nanoseconds()
        }
        callback(.success(value))
    }

    private static let messageKind = Array("message".utf8)

    public func connectionDidReceiveEOF(_ connection: TCPConnection) { connection.close() }
    public func connectionDidDrain(_ connection: TCPConnection) {}

    public func connectionDidClose(_ connection: TCPConnection) {
        guard connection === tcp else { return }
        tcp = nil
        if let t = connectTimer { loop.cancel(t) }
        connectTimer = nil
        let wasUp = state == .up
        state = .down
        let failed = callbacks[callbackHead...]
        callbacks = []
        callbackHead = 0
        oldestOutstandingSince = nil
        for callback in failed { callback(.failure(.disconnected)) }
        if wasUp { onDown?() }
        scheduleReconnect()
    }
}
