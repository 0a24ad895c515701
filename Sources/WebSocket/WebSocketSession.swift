// The per-connection protocol state machine above frames (RFC 6455 §5.4-5.5, §7, §8.1):
// reassembles fragmented messages, lets control frames interleave, validates text as UTF-8 as it
// arrives, enforces the message size limit and tracks the closing handshake. No I/O: each frame
// in, one action out, which the connection code carries out.

public enum WebSocketAction: Sendable, Equatable {
    /// Nothing to do, e.g. a fragment was buffered, or a frame arrived after the close.
    case none
    /// A complete, UTF-8-validated text message.
    case text([UInt8])
    case binary([UInt8])
    /// Reply to a ping with a pong carrying the same payload.
    case sendPong([UInt8])
    case pongReceived([UInt8])
    /// The peer sent a close. Unless `closeSent` was already true, echo a close with this code
    /// (nil → empty close payload); then close TCP once it is written. If we had sent our close
    /// first, this completes the handshake: close TCP without sending anything.
    case close(replyCode: UInt16?, reason: [UInt8])
    /// Protocol violation: send close(code) and close TCP.
    case fail(code: UInt16, reason: String)
}

public struct WebSocketSession: Sendable {
    public let maxMessageSize: Int

    /// The message being reassembled: its type and bytes so far.
    private var openMessage: WebSocketOpcode?
    private var buffer: [UInt8] = []
    private var textValidator = UTF8Validator()
    /// Once the peer closed or we failed the connection, nothing it sends matters any more.
    private var finished = false
    /// permessage-deflate's inbound side, when negotiated.
    private let inflater: (any WebSocketMessageInflating)?
    /// The open message arrived with RSV1: its frames are inflated into `buffer`.
    private var openMessageCompressed = false

    public private(set) var closeSent = false
    public private(set) var closeReceived = false

    /// - Parameter inflater: set when permessage-deflate was negotiated; messages whose first
    ///   frame has RSV1 are inflated through it, the size limit applying to the inflated bytes.
    public init(maxMessageSize: Int, inflater: (any WebSocketMessageInflating)? = nil) {
        self.maxMessageSize = max(0, maxMessageSize)
        self.inflater = inflater
    }

    /// The integrator calls this when it sends a close frame of its own.
    public mutating func markCloseSent() { closeSent = true }

    public mutating func receive(_ frame: WebSocketFrame) -> WebSocketAction {
        guard !finished else { return .none }
        let action: WebSocketAction
        if frame.opcode.isControl {
            action = receiveControl(frame)
        } else {
            action = receiveData(frame)
        }
        if case .fail = action { finish() }
        return action
    }

    private mutating func receiveControl(_ frame: WebSocketFrame) -> WebSocketAction {
        // The parser already refuses these; checked again because frames may come from elsewhere.
        guard frame.fin else { return .fail(code: WebSocketCloseCode.protocolError, reason: "fragmented control frame") }
        guard frame.payload.count <= webSocketMaxControlPayload else {
            return .fail(code: WebSocketCloseCode.protocolError, reason: "control frame too long")
        }
        switch frame.opcode {
        case .ping: return .sendPong(frame.payload)
        case .pong: return .pongReceived(frame.payload)
        default: return receiveClose(frame.payload)
        }
    }

    private mutating func receiveClose(_ payload: [UInt8]) -> WebSocketAction {
        if payload.isEmpty {
            closeReceived = true
            finish()
            return .close(replyCode: nil, reason: [])
        }
        guard payload.count >= 2 else {
            return .fail(code: WebSocketCloseCode.protocolError, reason: "close payload of one byte")
        }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard WebSocketCloseCode.isValidReceived(code) else {
            return .fail(code: WebSocketCloseCode.protocolError, reason: "invalid close code")
        }
        let reason = Array(payload[2...])
        var validator = UTF8Validator()
        guard validator.feed(reason), validator.isComplete else {
            return .fail(code: WebSocketCloseCode.invalidPayload, reason: "close reason is not UTF-8")
        }
        closeReceived = true
        finish()
        return .close(replyCode: code, reason: reason)
    }

    private mutating func receiveData(_ frame: WebSocketFrame) -> WebSocketAction {
        let kind: WebSocketOpcode
        if frame.opcode == .continuation {
            guard let open = openMessage else {
                return .fail(code: WebSocketCloseCode.protocolError, reason: "continuation without a message")
            }
            guard !frame.compressed else {
                return .fail(code: WebSocketCloseCode.protocolError, reason: "RSV1 on a continuation frame")
            }
            kind = open
        } else {
            guard openMessage == nil else {
                return .fail(code: WebSocketCloseCode.protocolError, reason: "new message inside a fragmented one")
            }
            kind = frame.opcode
            textValidator.reset()
            if frame.compressed {
                guard inflater != nil else {
                    return .fail(code: WebSocketCloseCode.protocolError, reason: "RSV1 set without permessage-deflate")
                }
                openMessageCompressed = true
            }
        }
        if openMessageCompressed, let inflater {
            return receiveCompressed(frame, kind: kind, inflater: inflater)
        }

        let (total, overflow) = buffer.count.addingReportingOverflow(frame.payload.count)
        guard !overflow, total <= maxMessageSize else {
            return .fail(code: WebSocketCloseCode.messageTooBig, reason: "message too big")
        }
        if kind == .text {
            guard frame.payload.withUnsafeBytes({ textValidator.feed($0) }) else {
                return .fail(code: WebSocketCloseCode.invalidPayload, reason: "text is not UTF-8")
            }
            if frame.fin && !textValidator.isComplete {
                return .fail(code: WebSocketCloseCode.invalidPayload, reason: "text ends inside a code point")
            }
        }

        guard frame.fin else {
            openMessage = kind
            buffer.append(contentsOf: frame.payload)
            return .none
        }
        let message: [UInt8]
        if openMessage == nil {
            message = frame.payload  // unfragmented: no copy
        } else {
            buffer.append(contentsOf: frame.payload)
            message = buffer
            buffer = []
        }
        openMessage = nil
        return kind == .text ? .text(message) : .binary(message)
    }

    /// A frame of a compressed message: inflated into `buffer` as it arrives, the limit checked
    /// on the inflated size (1009 before the excess is stored), text validated as it comes out.
    private mutating func receiveCompressed(_ frame: WebSocketFrame, kind: WebSocketOpcode,
                                            inflater: any WebSocketMessageInflating) -> WebSocketAction {
        let before = buffer.count
        var outcome = frame.payload.withUnsafeBytes { inflater.inflateFrame($0, appendingTo: &buffer, limit: maxMessageSize) }
        if outcome == .ok && frame.fin {
            outcome = inflater.finishInflating(appendingTo: &buffer, limit: maxMessageSize)
        }
        switch outcome {
        case .ok: break
        case .tooBig: return .fail(code: WebSocketCloseCode.messageTooBig, reason: "message too big")
        case .corrupt: return .fail(code: WebSocketCloseCode.invalidPayload, reason: "invalid compressed data")
        }
        if kind == .text {
            let valid = buffer.withUnsafeBytes { textValidator.feed(UnsafeRawBufferPointer(rebasing: $0[before...])) }
            guard valid else { return .fail(code: WebSocketCloseCode.invalidPayload, reason: "text is not UTF-8") }
            if frame.fin && !textValidator.isComplete {
                return .fail(code: WebSocketCloseCode.invalidPayload, reason: "text ends inside a code point")
            }
        }
        guard frame.fin else {
            openMessage = kind
            return .none
        }
        let message = buffer
        buffer = []
        openMessage = nil
        openMessageCompressed = false
        return kind == .text ? .text(message) : .binary(message)
    }

    private mutating func finish() {
        if openMessageCompressed { inflater?.abandonMessage() }
        finished = true
        openMessage = nil
        openMessageCompressed = false
        buffer = []
    }
}
