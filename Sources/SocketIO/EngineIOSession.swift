// One Engine.IO session without I/O: which transport carries it (polling, WebSocket, or polling
// while a WebSocket is being probed), the output buffered for the next poll, the ping/pong
// heartbeat and the upgrade handshake. Every input returns the actions the caller performs;
// time comes in as unix milliseconds, so tests drive it with a fake clock.
//
// Heartbeat as in engine.io: a ping `pingInterval` after the open (and after each pong); no pong
// within `pingTimeout` of the ping closes the session ("ping timeout").
// Upgrade: the client opens a WebSocket with the sid and sends `2probe`; we answer `3probe` on it
// and release a pending poll with a noop (`6`) so the client can pause polling; the client then
// sends `5` on the WebSocket, which becomes the transport and receives what was buffered.

public enum EngineIOTransportKind: String, Sendable, Equatable {
    case polling, websocket
}

/// Why a session ended (the reference server's reason strings).
public enum EngineIOCloseReason: String, Sendable, Equatable {
    case transportClose = "transport close"
    case transportError = "transport error"
    case pingTimeout = "ping timeout"
    case parseError = "parse error"
    case forcedClose = "forced close"
    case slowConsumer = "slow consumer"
    case serverShuttingDown = "server shutting down"

    /// Reasons after which Socket.IO's connection state recovery keeps the session.
    public var isRecoverable: Bool { self != .forcedClose }
}

public enum EngineIOAction: Sendable, Equatable {
    /// Complete the pending poll (GET) with this body.
    case answerPoll([UInt8])
    /// Answer the poll that just arrived with 400 (a second concurrent poll).
    case rejectPoll
    /// One text frame on the WebSocket transport.
    case sendWebSocket([UInt8])
    /// One text frame on the WebSocket being probed (`3probe`).
    case sendProbe([UInt8])
    /// Close the WebSocket being probed (the upgrade failed or timed out); the session goes on.
    case abortProbe
    /// A message packet for the Socket.IO layer.
    case deliver(EngineIOPacket)
    /// The session is over: close its WebSocket if any and forget it.
    case closed(EngineIOCloseReason)
}

public struct EngineIOSession: Sendable {
    public enum State: Sendable, Equatable { case open, closed }

    public let settings: EngineIOSettings
    public private(set) var transport: EngineIOTransportKind
    public private(set) var state = State.open
    /// A WebSocket has sent `2probe` and we answered; waiting for `5`.
    public private(set) var upgrading = false
    public private(set) var pollPending = false
    /// Output for the next poll: packets in text form, or several already joined by 0x1E.
    private var buffer: [[UInt8]] = []
    public private(set) var bufferedBytes = 0
    private var nextPingAtMs: Int64?
    private var pongDeadlineMs: Int64?
    private var upgradeDeadlineMs: Int64?

    public init(settings: EngineIOSettings, transport: EngineIOTransportKind, nowMs: Int64) {
        self.settings = settings
        self.transport = transport
        nextPingAtMs = nowMs + settings.pingIntervalMs
    }

    /// Hub output may go straight to the WebSocket, bypassing the buffer.
    public var sendsDirectlyToWebSocket: Bool { state == .open && transport == .websocket }

    /// When `timerFired` must next be called.
    public var nextDeadlineMs: Int64? {
        [nextPingAtMs, pongDeadlineMs, upgradeDeadlineMs].compactMap { $0 }.min()
    }

    // MARK: output

    /// Queues packets (text form; several may be pre-joined by 0x1E) for the client.
    public mutating func send(_ chunk: [UInt8]) -> [EngineIOAction] {
        guard state == .open else { return [] }
        if transport == .websocket {
            return splitRecords(chunk).map { .sendWebSocket($0) }
        }
        if bufferedBytes + chunk.count > settings.maxBufferedBytes {
            return close(.slowConsumer)
        }
        buffer.append(chunk)
        bufferedBytes += chunk.count
        return flushToPoll()
    }

    private mutating func flushToPoll() -> [EngineIOAction] {
        guard pollPending, !buffer.isEmpty else { return [] }
        var body: [UInt8] = []
        body.reserveCapacity(bufferedBytes + buffer.count)
        for (i, c) in buffer.enumerated() {
            if i > 0 { body.append(EngineIOCodec.recordSeparator) }
            body.append(contentsOf: c)
        }
        buffer.removeAll()
        bufferedBytes = 0
        pollPending = false
        return [.answerPoll(body)]
    }

    private func splitRecords(_ chunk: [UInt8]) -> [[UInt8]] {
        // 0x1E never occurs inside a packet's text: JSON escapes control characters and binary
        // packets are base64 on polling.
        chunk.split(separator: EngineIOCodec.recordSeparator).map(Array.init)
    }

    // MARK: polling

    /// A GET arrived: answered now when output is waiting, held otherwise (the next ping, at
    /// most `pingInterval` away, releases it). A second concurrent poll is refused and closes
    /// the session, as the reference server does.
    public mutating func pollArrived() -> [EngineIOAction] {
        guard state == .open, transport == .polling else { return [.rejectPoll] }
        if pollPending {
            return [.rejectPoll] + close(.transportError)
        }
        pollPending = true
        if upgrading && buffer.isEmpty {
            pollPending = false
            return [.answerPoll([EngineIOPacketType.noop.digit])]
        }
        return flushToPoll()
    }

    /// The held poll's connection went away before it was answered.
    public mutating func pollAbandoned() {
        pollPending = false
    }

    /// A POST body (already checked against maxPayload by the caller).
    public mutating func postArrived(_ body: [UInt8], nowMs: Int64) -> [EngineIOAction] {
        guard state == .open else { return [] }
        switch EngineIOCodec.decodePayload(body) {
        case .failure: return close(.parseError)
        case .success(let packets):
            var actions: [EngineIOAction] = []
            for p in packets where state == .open {
                actions += receive(p, nowMs: nowMs)
            }
            return actions
        }
    }

    // MARK: WebSocket

    /// A text frame on the session's WebSocket transport.
    public mutating func webSocketText(_ bytes: [UInt8], nowMs: Int64) -> [EngineIOAction] {
        guard state == .open else { return [] }
        guard bytes.count <= settings.maxPayload else { return close(.parseError) }
        switch EngineIOCodec.decodeText(bytes[...]) {
        case .failure: return close(.parseError)
        case .success(let p): return receive(p, nowMs: nowMs)
        }
    }

    public mutating func webSocketBinary(_ bytes: [UInt8], nowMs: Int64) -> [EngineIOAction] {
        guard state == .open else { return [] }
        guard bytes.count <= settings.maxPayload else { return close(.parseError) }
        return [.deliver(EngineIOPacket(.message, bytes, isBinary: true))]
    }

    /// The transport's WebSocket closed (or a polling request failed): the session ends.
    public mutating func transportClosed() -> [EngineIOAction] {
        close(.transportClose)
    }

    /// A text frame on a WebSocket that is probing this polling session.
    public mutating func probeText(_ bytes: [UInt8], nowMs: Int64) -> [EngineIOAction] {
        guard state == .open, transport == .polling else { return [.abortProbe] }
        switch EngineIOCodec.decodeText(bytes[...]) {
        case .success(let p) where p.type == .ping && p.data == Array("probe".utf8) && !upgrading:
            upgrading = true
            upgradeDeadlineMs = nowMs + settings.upgradeTimeoutMs
            var actions: [EngineIOAction] = [.sendProbe(Array("3probe".utf8))]
            if pollPending && buffer.isEmpty {
                pollPending = false
                actions.append(.answerPoll([EngineIOPacketType.noop.digit]))
            }
            return actions
        case .success(let p) where p.type == .upgrade && upgrading:
            upgrading = false
            upgradeDeadlineMs = nil
            transport = .websocket
            var actions: [EngineIOAction] = []
            if pollPending {
                // Should not happen (the client paused polling), but never leave it hanging.
                pollPending = false
                actions.append(.answerPoll([EngineIOPacketType.noop.digit]))
            }
            for chunk in buffer { actions += splitRecords(chunk).map { .sendWebSocket($0) } }
            buffer.removeAll()
            bufferedBytes = 0
            return actions
        default:
            upgrading = false
            upgradeDeadlineMs = nil
            return [.abortProbe]
        }
    }

    /// The probing WebSocket closed before the upgrade completed.
    public mutating func probeClosed() {
        upgrading = false
        upgradeDeadlineMs = nil
    }

    // MARK: packets and time

    private mutating func receive(_ p: EngineIOPacket, nowMs: Int64) -> [EngineIOAction] {
        switch p.type {
        case .pong:
            pongDeadlineMs = nil
            nextPingAtMs = nowMs + settings.pingIntervalMs
            return []
        case .message:
            return [.deliver(p)]
        case .close:
            return close(.transportClose)
        case .ping, .noop, .upgrade:
            return []  // a v4 client never pings the server; upgrade only counts on a probe
        case .open:
            return close(.parseError)
        }
    }

    public mutating func timerFired(nowMs: Int64) -> [EngineIOAction] {
        guard state == .open else { return [] }
        var actions: [EngineIOAction] = []
        if let deadline = upgradeDeadlineMs, nowMs >= deadline {
            upgrading = false
            upgradeDeadlineMs = nil
            actions.append(.abortProbe)
        }
        if let deadline = pongDeadlineMs, nowMs >= deadline {
            return actions + close(.pingTimeout)
        }
        if let at = nextPingAtMs, nowMs >= at {
            nextPingAtMs = nil
            pongDeadlineMs = nowMs + settings.pingTimeoutMs
            actions += send([EngineIOPacketType.ping.digit])
        }
        return actions
    }

    /// Ends the session: a pending poll gets the close packet; the caller closes any WebSocket.
    public mutating func close(_ reason: EngineIOCloseReason) -> [EngineIOAction] {
        guard state == .open else { return [] }
        state = .closed
        var actions: [EngineIOAction] = []
        if upgrading { actions.append(.abortProbe) }
        if pollPending {
            pollPending = false
            actions.append(.answerPoll([EngineIOPacketType.close.digit]))
        }
        buffer.removeAll()
        bufferedBytes = 0
        nextPingAtMs = nil
        pongDeadlineMs = nil
        upgradeDeadlineMs = nil
        upgrading = false
        actions.append(.closed(reason))
        return actions
    }
}
