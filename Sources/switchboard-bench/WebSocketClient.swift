// A client WebSocket over one reactor TCPConnection: sends the upgrade request, checks the 101,
// then parses server frames (unmasked) and answers pings and closes. Text frames go to the
// owner as raw payload bytes; the owner decides how much to look at.
import Crypto
import Reactor
import WebSocket

protocol WebSocketClientOwner: AnyObject {
    func webSocketDidOpen(_ client: WebSocketClient)
    func webSocket(_ client: WebSocketClient, didReceiveText payload: UnsafeRawBufferPointer)
    /// Called once. `closeCode` is the server's close code if it sent a close frame;
    /// `failure` says why the connection ended otherwise (handshake, EOF, protocol).
    func webSocketDidClose(_ client: WebSocketClient, closeCode: UInt16?, failure: String?)
}

// Loop-confined: created, used and closed on its connection's loop only.
final class WebSocketClient: ConnectionDelegate, @unchecked Sendable {
    enum Phase { case handshaking, open, closed }

    /// Nil until the TCP connect has finished.
    private(set) var connection: TCPConnection?
    private var waiter: ConnectWaiter?
    private(set) var phase: Phase = .handshaking
    weak var owner: WebSocketClientOwner?
    /// Free for the owner (e.g. an index into its own tables).
    var tag: Int = 0
    private let handshake: ClientHandshake
    private var parser: WebSocketFrameParser
    private let mask: (UInt8, UInt8, UInt8, UInt8)
    private var fragments: [UInt8] = []
    private var inTextMessage = false
    private var closeCode: UInt16?
    private var failure: String?

    /// Starts a non-blocking connect on `loop`; the upgrade request goes out once it is
    /// established. Call on `loop`.
    init(endpoint: Endpoint, loop: EventLoop, owner: WebSocketClientOwner, maxFrame: Int = 16 << 20) throws {
        let fd = try Sockets.connect(host: endpoint.host, port: endpoint.port)
        handshake = ClientHandshake(endpoint: endpoint)
        parser = WebSocketFrameParser(requireMasked: false, maxFramePayload: maxFrame)
        let m = SecureRandom.bytes(4)
        mask = (m[0], m[1], m[2], m[3])
        self.owner = owner
        do {
            waiter = try ConnectWaiter(fd: fd, loop: loop) { [weak self] result in
                self?.connected(fd: fd, loop: loop, peer: endpoint.host, result)
            }
        } catch {
            Sockets.close(fd)
            throw error
        }
    }

    private func connected(fd: Int32, loop: EventLoop, peer: String, _ result: Result<Void, ConnectFailure>) {
        waiter = nil
        if phase == .closed {  // closed by the owner while connecting
            Sockets.close(fd)
            return
        }
        if case .failure(let f) = result {
            Sockets.close(fd)
            return finishClosed(failure: f.description)
        }
        let c = TCPConnection(fd: fd, loop: loop, peer: peer)
        c.delegate = self
        do {
            try c.start()
        } catch {
            Sockets.close(fd)
            return finishClosed(failure: "register: \(error)")
        }
        connection = c
        c.enqueue(handshake.request)
    }

    // MARK: sending

    func sendText(_ payload: [UInt8]) {
        guard phase == .open else { return }
        var out: [UInt8] = []
        WebSocketFrameEncoder.append(opcode: .text, payload: payload, mask: mask, to: &out)
        connection?.enqueue(out)
    }

    func sendText(_ text: String) { sendText(Array(text.utf8)) }

    /// Sends close(1000) and closes once it is written.
    func close() {
        guard phase != .closed else { return }
        if phase == .open {
            var out: [UInt8] = []
            WebSocketFrameEncoder.append(opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: 1000, reason: ""), mask: mask, to: &out)
            connection?.enqueue(out)
            connection?.closeAfterFlush(linger: false)
        } else if let connection {
            connection.close()
        } else {
            phase = .closed  // still connecting: the waiter's callback finds no owner to tell
            owner = nil
        }
    }

    // MARK: ConnectionDelegate

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int {
        var used = 0
        if phase == .handshaking {
            switch handshake.check(bytes) {
            case .needMore:
                return 0
            case .failed(let f):
                fail(f.description)
                return bytes.count
            case .upgraded(let headLength):
                phase = .open
                used = headLength
                owner?.webSocketDidOpen(self)
            }
        }
        while phase == .open && used < bytes.count {
            let (consumed, result) = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[used...]))
            switch result {
            case .needMore:
                return used
            case .fail(let code, let reason):
                fail("protocol error \(code): \(reason)")
                return bytes.count
            case .frame(let frame):
                used += consumed
                handle(frame)
            }
        }
        return phase == .closed ? bytes.count : used
    }

    private func handle(_ frame: WebSocketFrame) {
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                frame.payload.withUnsafeBytes { owner?.webSocket(self, didReceiveText: $0) }
            } else {
                inTextMessage = true
                fragments = frame.payload
            }
        case .continuation:
            guard inTextMessage else { return fail("continuation without a message") }
            fragments.append(contentsOf: frame.payload)
            if frame.fin {
                inTextMessage = false
                let message = fragments
                fragments = []
                message.withUnsafeBytes { owner?.webSocket(self, didReceiveText: $0) }
            }
        case .ping:
            var out: [UInt8] = []
            WebSocketFrameEncoder.append(opcode: .pong, payload: frame.payload, mask: mask, to: &out)
            connection?.enqueue(out)
        case .pong:
            break
        case .close:
            if frame.payload.count >= 2 {
                closeCode = UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
            } else {
                closeCode = 1005
            }
            var out: [UInt8] = []
            WebSocketFrameEncoder.append(opcode: .close, payload: Array(frame.payload.prefix(2)), mask: mask, to: &out)
            connection?.enqueue(out)
            phase = .closed
            connection?.closeAfterFlush(linger: false)
        }
    }

    private func fail(_ why: String) {
        if failure == nil { failure = why }
        phase = .closed
        connection?.close()
    }

    func connectionDidReceiveEOF(_ connection: TCPConnection) {
        if failure == nil && closeCode == nil { failure = "eof" }
        connection.close()
    }

    func connectionDidDrain(_ connection: TCPConnection) {}

    func connectionDidClose(_ connection: TCPConnection) {
        finishClosed(failure: failure)
    }

    private func finishClosed(failure: String?) {
        phase = .closed
        let owner = self.owner
        self.owner = nil
        owner?.webSocketDidClose(self, closeCode: closeCode, failure: closeCode == nil ? (failure ?? "closed") : nil)
    }
}
