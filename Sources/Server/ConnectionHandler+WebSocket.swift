// The WebSocket side of a connection after the upgrade: frames in (fragmentation, ping/pong and
// the close handshake via WebSocketSession), frames out, and the WebSocketPeer API the endpoints
// use. Pings and the idle close are timed by ConnectionLifecycle.
import Reactor
import WebSocket

extension ConnectionHandler {
    func readWebSocket(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count, !connection.isClosed, var fp = frameParser {
            let (used, result) = fp.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            frameParser = fp
            offset += used
            switch result {
            case .needMore:
                return offset
            case .fail(let code, let reason):
                close(code: code, reason: reason)
                return bytes.count
            case .frame(let frame):
                guard var s = session else { return bytes.count }
                let action = s.receive(frame)
                session = s
                perform(action)
            }
        }
        return connection.isClosed ? bytes.count : offset
    }

    private func perform(_ action: WebSocketAction) {
        switch action {
        case .none, .pongReceived:
            break
        case .text(let t):
            endpoint?.webSocket(self, didReceiveText: t)
        case .binary(let b):
            endpoint?.webSocket(self, didReceiveBinary: b)
        case .sendPong(let p):
            guard !closeSent else { return }
            sendFrame(opcode: .pong, payload: p)
        case .close(let code, _):
            sendCloseFrameOnce(payload: code.map { [UInt8($0 >> 8), UInt8($0 & 0xff)] } ?? [])
            // Closing handshake complete: the server closes the TCP connection first (RFC 6455 §7.1.1).
            lifecycleEvent(.closeStarted)
            connection.closeAfterFlush(linger: false)
        case .fail(let code, let reason):
            close(code: code, reason: reason)
        }
    }

    // MARK: WebSocketPeer

    func sendText(_ text: [UInt8]) {
        guard mode == .webSocket, !closeSent, !connection.isClosed else { return }
        sendFrame(opcode: .text, payload: text)
    }

    func sendBinary(_ data: [UInt8]) {
        guard mode == .webSocket, !closeSent, !connection.isClosed else { return }
        sendFrame(opcode: .binary, payload: data)
    }

    func sendFrame(_ frame: SharedBytes) {
        guard mode == .webSocket, !closeSent, !connection.isClosed else { return }
        connection.enqueue(frame)
    }

    /// Starts the closing handshake: send close, stop reading application data, and close the TCP
    /// connection once the frame is written (we do not wait for a peer that may be stalled).
    func close(code: UInt16, reason: String) {
        close(code: code, reason: reason, flushDeadlineNanoseconds: 5_000_000_000)
    }

    func closeDiscardingOutput(code: UInt16, reason: String) {
        guard !connection.isClosed else { return }
        connection.discardQueuedOutput()
        // Our queue is empty now; what remains is the kernel's socket buffer, which a stalled
        // reader drains when it wakes up, then it reads the close frame. Give it 30 s to do so.
        close(code: code, reason: reason, flushDeadlineNanoseconds: 30_000_000_000)
    }

    private func close(code: UInt16, reason: String, flushDeadlineNanoseconds: UInt64) {
        guard !connection.isClosed else { return }
        lifecycleEvent(.closeStarted)
        guard mode == .webSocket else {
            connection.close()
            return
        }
        sendCloseFrameOnce(payload: WebSocketFrameEncoder.closePayload(code: code, reason: reason))
        connection.closeAfterFlush(linger: true, flushDeadlineNanoseconds: flushDeadlineNanoseconds)
    }

    /// A close frame goes out at most once per connection, whoever starts the closing handshake.
    private func sendCloseFrameOnce(payload: [UInt8]) {
        guard !closeSent else { return }
        closeSent = true
        session?.markCloseSent()
        sendFrame(opcode: .close, payload: payload)
    }

    /// Encodes one unmasked server frame (compressed if negotiated) and queues it.
    func sendFrame(opcode: WebSocketOpcode, payload: [UInt8]) {
        connection.enqueue(encodeFrame(opcode: opcode, payload: payload))
    }
}
