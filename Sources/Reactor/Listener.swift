// Accepts connections on one loop's listening socket. Running out of descriptors (EMFILE/ENFILE)
// must not kill the server: stop watching the listener briefly, then try again.
@preconcurrency import Glibc

public final class Listener: EventHandler {
    public let fd: Int32
    public let loop: EventLoop
    private let onAccept: (Int32, String) -> Void
    private let onError: (String) -> Void
    private var backingOff = false
    private var closed = false
    /// Accepts per readiness event, so a connection storm cannot starve established peers.
    static let maxAcceptsPerTurn = 64

    public init(fd: Int32, loop: EventLoop, onAccept: @escaping (Int32, String) -> Void, onError: @escaping (String) -> Void) {
        self.fd = fd
        self.loop = loop
        self.onAccept = onAccept
        self.onError = onError
    }

    public func start() throws {
        try loop.register(fd: fd, interest: .read, handler: self)
    }

    public func handleReadable() {
        for _ in 0..<Self.maxAcceptsPerTurn {
            if closed { return }
            switch Sockets.accept(fd) {
            case .accepted(let cfd, let peer):
                onAccept(cfd, peer)
            case .wouldBlock:
                return
            case .exhausted(let e):
                onError("accept: \(e); backing off 100 ms")
                backOff()
                return
            case .failed(let e):
                onError("accept: \(e)")
                return
            }
        }
    }

    private func backOff() {
        guard !backingOff else { return }
        backingOff = true
        loop.deregister(fd: fd)
        loop.schedule(afterNanoseconds: 100_000_000) { [weak self] in
            guard let self, !self.closed else { return }
            self.backingOff = false
            try? self.loop.register(fd: self.fd, interest: .read, handler: self)
        }
    }

    public func handleWritable() {}
    public func handleHangup() {}

    /// Stops accepting (graceful shutdown); loop thread only.
    public func close() {
        guard !closed else { return }
        closed = true
        loop.deregister(fd: fd)
        Sockets.close(fd)
    }
}
