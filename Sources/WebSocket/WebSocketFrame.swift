// The unit the frame parser produces and the session consumes (RFC 6455 §5.2).

public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10

    /// Control frames (§5.5) may interleave with fragments, must not be fragmented and carry at most 125 bytes.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

public struct WebSocketFrame: Sendable, Equatable {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    /// Already unmasked.
    public var payload: [UInt8]
    /// RSV1: with permessage-deflate, the first frame of a compressed message (RFC 7692 §6).
    public var compressed: Bool

    public init(fin: Bool = true, opcode: WebSocketOpcode, payload: [UInt8], compressed: Bool = false) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
        self.compressed = compressed
    }
}

/// The largest payload a control frame may carry (§5.5).
public let webSocketMaxControlPayload = 125
