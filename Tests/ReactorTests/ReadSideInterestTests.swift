import XCTest
import Glibc
import Synchronization
@testable import Reactor

/// Read-side interest over a real socket pair: with reading paused, or after the peer's EOF was
/// read, epoll must not report the peer's half-close again and again (604f184 kept EPOLLRDHUP,
/// and EPOLLIN after EOF, in the interest set: the loop spun at 100 % of a core).
final class ReadSideInterestTests: OneLoopTestCase {
    /// How many turns the loop makes while the test thread sleeps `window`: a loop with nothing
    /// to do makes a handful (the wake-ups used to ask), a spinning loop makes thousands.
    private func turnsDuring(milliseconds: Int) -> UInt64 {
        let loop = self.loop
        let before = onLoop { loop.turns }
        usleep(UInt32(milliseconds * 1000))
        return onLoop { loop.turns } - before
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = expectation(description: "on loop")
        loop.execute {
            let value = body()
            result.withLock { $0 = value }
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        return result.withLock { $0! }
    }

    private func connectedPair(delegate: EOFRecorder) -> (connection: UncheckedBox<TCPConnection>, peer: Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)  // a broken test fails instead of hanging
        setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connection = TCPConnection(fd: fds[0], loop: loop, peer: "pair")
        connection.delegate = delegate
        let box = UncheckedBox(connection)
        _ = onLoop { (try? box.value.start()) != nil }
        return (box, fds[1])
    }

    func testHalfCloseWhileReadingIsPausedDoesNotWakeTheLoop() {
        let recorder = EOFRecorder(closeOnEOF: true)
        let (connection, peer) = connectedPair(delegate: recorder)
        defer { close(peer) }
        onLoop { connection.value.pauseReading() }
        shutdown(peer, Int32(SHUT_WR))

        XCTAssertLessThan(turnsDuring(milliseconds: 300), 20, "the loop spins on the peer's half-close")
        XCTAssertEqual(recorder.eofs.withLock { $0 }, 0, "nothing is read while paused")

        // Resuming reads the EOF, in order after any data, exactly once.
        onLoop { connection.value.resumeReading() }
        XCTAssertTrue(waitUntil { recorder.eofs.withLock { $0 } == 1 })
        XCTAssertTrue(onLoop { connection.value.isClosed })
    }

    func testEOFIsReportedOnceWhenTheDelegateKeepsTheConnectionOpen() {
        // A delegate that still owes an answer keeps the connection open after the EOF.
        let recorder = EOFRecorder(closeOnEOF: false)
        let (connection, peer) = connectedPair(delegate: recorder)
        defer { close(peer) }
        shutdown(peer, Int32(SHUT_WR))
        XCTAssertTrue(waitUntil { recorder.eofs.withLock { $0 } == 1 })

        XCTAssertLessThan(turnsDuring(milliseconds: 300), 20, "the loop spins on the EOF it already reported")
        XCTAssertEqual(recorder.eofs.withLock { $0 }, 1)
        XCTAssertTrue(onLoop { connection.value.peerClosedInput && !connection.value.isClosed })

        // Writing still works after the peer's half-close: the answer reaches it.
        onLoop { connection.value.send(Array("answer".utf8)); connection.value.closeAfterFlush() }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
        XCTAssertEqual(Array(buffer[0..<max(n, 0)]), Array("answer".utf8))
        XCTAssertTrue(waitUntil { self.onLoop { connection.value.isClosed } })
    }

    /// Polls `condition` for up to 5 s (the assertion is on the outcome, not on the time taken).
    private func waitUntil(_ condition: @escaping () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

final class EOFRecorder: ConnectionDelegate, @unchecked Sendable {
    let closeOnEOF: Bool
    let eofs = Mutex<Int>(0)
    init(closeOnEOF: Bool) { self.closeOnEOF = closeOnEOF }
    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int { bytes.count }
    func connectionDidReceiveEOF(_ connection: TCPConnection) {
        eofs.withLock { $0 += 1 }
        if closeOnEOF { connection.close() }
    }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection) {}
}
