// Waits for a non-blocking connect to finish before a TCPConnection takes the socket, so the
// first bytes are written to an established stream instead of relying on EAGAIN while the
// handshake is still in flight (under load that path left some upgrade requests unsent).
@preconcurrency import Glibc
import Reactor

// Loop-confined: registered on one loop, finishes on it.
final class ConnectWaiter: EventHandler {
    private let fd: Int32
    private let loop: EventLoop
    private var done: ((Result<Void, ConnectFailure>) -> Void)?

    /// Calls `done` once on `loop`: success when the socket is connected, or the connect error.
    init(fd: Int32, loop: EventLoop, done: @escaping (Result<Void, ConnectFailure>) -> Void) throws {
        self.fd = fd
        self.loop = loop
        self.done = done
        try loop.register(fd: fd, interest: .write, handler: self)
    }

    func handleReadable() {}
    func handleWritable() { finish() }
    func handleHangup() { finish() }

    private func finish() {
        guard let done else { return }
        self.done = nil
        loop.deregister(fd: fd)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if rc != 0 { error = errno }
        done(error == 0 ? .success(()) : .failure(ConnectFailure(errno: error)))
    }
}

struct ConnectFailure: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "connect: \(String(cString: strerror(errno))) (errno \(errno))" }
}
