// Shared helpers for the frame and session tests.
@testable import WebSocket

let testMask: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

/// One encoded frame, masked like a client's by default.
func encodedFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) -> [UInt8] {
    var out: [UInt8] = []
    WebSocketFrameEncoder.append(opcode: opcode, payload: payload, fin: fin, mask: masked ? testMask : nil, to: &out)
    return out
}

func serverParser(max: Int = 1 << 20) -> WebSocketFrameParser {
    WebSocketFrameParser(requireMasked: true, maxFramePayload: max)
}

/// Deterministic pseudo-random bytes (no global RNG, reproducible failures).
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
