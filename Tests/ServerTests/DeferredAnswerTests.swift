import XCTest
import Glibc
import HTTP
import Logging
@testable import Reactor
import Synchronization
@testable import Server

/// Deferred answers through the real server on loopback: a route that never answers gets 503
/// at the deadline (and its late answer is dropped), and a client that half-closes while its
/// answer is pending costs the loop nothing until the answer goes out (604f184 spun on EPOLLRDHUP).
final class DeferredAnswerTests: XCTestCase {
    var server: Server!
    /// The sink of the last deferred request, answered by the test.
    let pending = PendingSink()

    func startServer(deferredResponseTimeoutSeconds: Double) throws {
        var settings = ServerSettings()
        settings.port = 0
        settings.threads = 1
        settings.shutdownTimeoutSeconds = 1
        settings.deferredResponseTimeoutSeconds = deferredResponseTimeoutSeconds
        server = try Server(settings: settings, logger: Logger(label: "test"))
        let pending = self.pending
        server.addRoute(.get, "/later") { ctx in
            pending.sink.withLock { $0 = ctx.sink }
            return .deferred
        }
        try server.start()
    }

    override func tearDown() {
        server?.shutdown()
    }

    func testRouteThatNeverAnswersGets503AtTheDeadlineAndTheLateAnswerIsDropped() throws {
        try startServer(deferredResponseTimeoutSeconds: 0.2)
        let client = try LoopbackClient(port: server.boundPort)
        defer { client.close() }
        try client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = try client.readUntilClose()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 503"), answer)
        XCTAssertTrue(answer.contains(#""code":"response_timeout""#), answer)
        client.shutdownWrite()  // ends the server's linger at once
        // The route answers after all: nothing is written to the closed connection, nothing crashes.
        pending.sink.withLock { $0 }?.respond(.json(200, "{}"))
        XCTAssertTrue(waitUntil { self.server.connectionCount == 0 })
    }

    func testHalfCloseWhileTheAnswerIsPendingDoesNotSpinAndTheAnswerStillArrives() throws {
        try startServer(deferredResponseTimeoutSeconds: 30)
        let client = try LoopbackClient(port: server.boundPort)
        defer { client.close() }
        try client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(waitUntil { self.pending.sink.withLock { $0 } != nil })
        client.shutdownWrite()

        let loop = server.loops[0]
        let before = turns(of: loop)
        usleep(300_000)
        XCTAssertLessThan(turns(of: loop) - before, 20, "the loop spins on the half-closed connection")

        pending.sink.withLock { $0 }?.respond(.json(200, #"{"late":true}"#))
        let answer = try client.readUntilClose()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertTrue(answer.hasSuffix(#"{"late":true}"#), answer)
        XCTAssertTrue(waitUntil { self.server.connectionCount == 0 })
    }

    private func turns(of loop: EventLoop) -> UInt64 {
        let result = Mutex<UInt64>(0)
        let done = expectation(description: "turns")
        loop.execute {
            result.withLock { $0 = loop.turns }
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        return result.withLock { $0 }
    }

    /// Polls for up to 5 s; the assertion is on the outcome, not on the time taken.
    private func waitUntil(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

final class PendingSink: Sendable {
    let sink = Mutex<ResponseSink?>(nil)
}

/// A blocking loopback client with a receive timeout, so a broken test fails instead of hanging.
struct LoopbackClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let fd = self.fd
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 { throw SystemError(call: "connect", errno: errno) }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if n != bytes.count { throw SystemError(call: "send", errno: errno) }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything until the server closes; throws on the receive timeout.
    func readUntilClose() throws -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return String(decoding: out, as: UTF8.self) }
            if n < 0 {
                if errno == ECONNRESET { return String(decoding: out, as: UTF8.self) }
                throw SystemError(call: "recv", errno: errno)
            }
            out += buffer[0..<n]
        }
    }

    func close() { Glibc.close(fd) }
}
