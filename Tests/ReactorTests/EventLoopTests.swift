import XCTest
import Glibc
import Synchronization
@testable import Reactor

/// The loop on a real thread: cross-thread tasks, timers, end-of-turn hooks, and a real TCP
/// connection on loopback written with writev.
final class EventLoopTests: OneLoopTestCase {
    func testExecuteFromAnotherThreadRunsOnLoop() {
        let done = expectation(description: "ran")
        let loop = group.loops[0]
        loop.execute {
            XCTAssertTrue(loop.inEventLoop)
            done.fulfill()
        }
        XCTAssertFalse(loop.inEventLoop)
        wait(for: [done], timeout: 5)
    }

    func testTimersFireInOrderAndNotEarly() {
        let loop = group.loops[0]
        let done = expectation(description: "timers")
        let order = Mutex<[Int]>([])
        let start = MonotonicTime.nanoseconds()
        loop.execute {
            loop.schedule(afterNanoseconds: 30_000_000) {
                order.withLock { $0.append(2) }
                XCTAssertGreaterThanOrEqual(MonotonicTime.nanoseconds() - start, 30_000_000)
                done.fulfill()
            }
            loop.schedule(afterNanoseconds: 10_000_000) { order.withLock { $0.append(1) } }
        }
        wait(for: [done], timeout: 5)
        XCTAssertEqual(order.withLock { $0 }, [1, 2])
    }

    func testEndOfTurnHookRunsAfterTheTask() {
        let loop = group.loops[0]
        let done = expectation(description: "hook")
        let order = Mutex<[String]>([])
        loop.execute {
            loop.atEndOfTurn {
                order.withLock { $0.append("hook") }
                done.fulfill()
            }
            order.withLock { $0.append("task") }
        }
        wait(for: [done], timeout: 5)
        XCTAssertEqual(order.withLock { $0 }, ["task", "hook"])
    }

    func testConnectionEchoesOverLoopbackAndCoalescesWrites() throws {
        let loop = group.loops[0]
        let listenFD = try Sockets.listen(host: "127.0.0.1", port: 0, reusePort: false)
        let port = Sockets.localPort(listenFD)
        let echo = Echo()
        let accepted = expectation(description: "accepted")
        let listener = UncheckedBox(Listener(fd: listenFD, loop: loop, onAccept: { fd, peer in
            let c = TCPConnection(fd: fd, loop: loop, peer: peer)
            c.delegate = echo
            echo.connection = c
            try? c.start()
            accepted.fulfill()
        }, onError: { _ in }))
        loop.execute { try? listener.value.start() }

        let client = try BlockingClient(port: port)
        wait(for: [accepted], timeout: 5)
        try client.send(Array("hello".utf8))
        XCTAssertEqual(try client.receive(count: 15), Array("HELLOhelloHELLO".utf8))
        let calls = Mutex<Int>(0)
        let checked = expectation(description: "checked")
        loop.execute {
            calls.withLock { $0 = echo.connection?.writeCalls ?? -1 }
            listener.value.close()
            echo.connection?.close()
            checked.fulfill()
        }
        wait(for: [checked], timeout: 5)
        // Three buffers queued in one turn went out in one writev.
        XCTAssertEqual(calls.withLock { $0 }, 1)
        client.close()
    }
}

/// Answers each read with three queued buffers (upper, as is, upper).
final class Echo: ConnectionDelegate, @unchecked Sendable {
    var connection: TCPConnection?
    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int {
        let text = Array(bytes)
        let upper = text.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
        connection.enqueue(upper)
        connection.enqueue(text)
        connection.enqueue(SharedBytes(upper))
        return bytes.count
    }
    func connectionDidReceiveEOF(_ connection: TCPConnection) { connection.close() }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection) {}
}

/// A plain blocking socket client for tests.
struct BlockingClient {
    let fd: Int32
    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let fd = self.fd
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 { throw SocketError(message: "connect failed") }
    }
    func send(_ bytes: [UInt8]) throws {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }
    func receive(count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < count {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { throw SocketError(message: "recv failed") }
            out += buf[0..<n]
        }
        return out
    }
    func close() { Glibc.close(fd) }
}
