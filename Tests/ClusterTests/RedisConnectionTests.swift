import XCTest
import Locks
import Reactor
@testable import Cluster

/// The Redis connection on a real reactor loop against a scripted loopback server: pipelined
/// replies reach their callbacks in order, a dropped connection fails what was pending and is
/// made again. (The protocol parsing itself is tested without I/O in RESPParserTests.)
final class RedisConnectionTests: XCTestCase {
    private var group: EventLoopGroup!
    private var loop: EventLoop { group.loops[0] }

    override func setUp() {
        group = try! EventLoopGroup(count: 1)
        group.start()
    }

    override func tearDown() {
        group.stopAndJoin()
    }

    func testPipelinedRepliesMatchTheirCommandsInOrder() throws {
        let server = try FakeRedis { args in
            switch args.first {
            case "PING": return "+PONG\r\n"
            case "ECHO": return "$\(args[1].utf8.count)\r\n\(args[1])\r\n"
            case "BAD": return "-ERR nope\r\n"
            default: return ":\(args.count)\r\n"
            }
        }
        let replies = Locked<[String]>([])
        let done = expectation(description: "three replies")
        let up = expectation(description: "up")
        let box = OnLoop(RedisConnection(url: RedisURL(host: "127.0.0.1", port: server.port), loop: loop, name: "test"))
        loop.execute {
            let conn = box.value
            conn.onUp = {
                up.fulfill()
                // Queued in one turn: one write, three replies in one read.
                conn.send("ECHO", "first") { r in replies.withLock { $0.append("\(r)") } }
                conn.send("BAD") { r in replies.withLock { $0.append("\(r)") } }
                conn.send("SET", "k", "v") { r in
                    replies.withLock { $0.append("\(r)") }
                    done.fulfill()
                }
            }
            conn.start()
        }
        wait(for: [up, done], timeout: 5)
        XCTAssertEqual(replies.withLock { $0 }, [
            "\(RedisReply.success(.bulk(Array("first".utf8))))",
            "\(RedisReply.success(.error("ERR nope")))",
            "\(RedisReply.success(.integer(3)))",
        ])
        loop.execute { box.value.stop() }
        server.stop()
    }

    func testADroppedConnectionFailsPendingCommandsAndReconnects() throws {
        let server = try FakeRedis { args in
            switch args.first {
            case "PING": return "+PONG\r\n"
            case "HANG": return nil  // never answered: the server closes instead
            default: return "+OK\r\n"
            }
        }
        let events = Locked<[String]>([])
        let failed = expectation(description: "pending command failed")
        let upAgain = expectation(description: "up again")
        let box = OnLoop(RedisConnection(url: RedisURL(host: "127.0.0.1", port: server.port), loop: loop, name: "test"))
        loop.execute {
            let conn = box.value
            var ups = 0
            conn.onUp = {
                ups += 1
                events.withLock { $0.append("up") }
                if ups == 1 {
                    conn.send("HANG") { r in
                        events.withLock { $0.append(r == .failure(RedisError("not connected to Redis")) ? "failed" : "other") }
                        failed.fulfill()
                    }
                    server.closeClients()
                } else {
                    upAgain.fulfill()
                }
            }
            conn.onDown = { events.withLock { $0.append("down") } }
            conn.start()
        }
        wait(for: [failed, upAgain], timeout: 10)
        XCTAssertEqual(events.withLock { $0 }, ["up", "failed", "down", "up"])
        loop.execute { box.value.stop() }
        server.stop()
    }
}

/// Carries a loop-confined object into the loop's closures (only touched there).
private final class OnLoop<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A loopback server that answers RESP commands with `answer` (nil: no answer), one thread per
/// client, blocking sockets: test scaffolding only.
private final class FakeRedis: @unchecked Sendable {
    let port: UInt16
    private let listenFD: Int32
    private let clients = Locked<[Int32]>([])
    private let stopped = Locked(false)
    private let answer: @Sendable ([String]) -> String?

    init(answer: @escaping @Sendable ([String]) -> String?) throws {
        self.answer = answer
        listenFD = try Sockets.listen(host: "127.0.0.1", port: 0, reusePort: false)
        port = Sockets.localPort(listenFD)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while !stopped.withLock({ $0 }) {
            switch Sockets.accept(listenFD) {
            case .accepted(let fd, _):
                clients.withLock { $0.append(fd) }
                Thread.detachNewThread { [self] in serve(fd) }
            default:
                usleep(2000)
            }
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { usleep(1000); continue }
                return
            }
            buffer += chunk[0..<n]
            var out = ""
            while case .value(let v, let used) = RESPParser.parse(buffer) {
                buffer.removeFirst(used)
                let args = (v.arrayValue ?? []).compactMap(\.stringValue)
                if let reply = answer(args) { out += reply }
            }
            if !out.isEmpty { _ = Array(out.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } }
        }
    }

    func closeClients() {
        for fd in clients.withLock({ list in defer { list = [] }; return list }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    func stop() {
        stopped.withLock { $0 = true }
        closeClients()
        Sockets.close(listenFD)
    }
}
