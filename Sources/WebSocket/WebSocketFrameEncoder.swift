// Writes RFC 6455 frames (§5.2) into a caller-owned buffer, so a message can be encoded once and
// the same bytes queued to many connections.

public enum WebSocketFrameEncoder {
    /// Appends one frame. Server frames are unmasked (mask nil); a client passes a 4-byte mask.
    /// `compressed` sets RSV1: the payload is a permessage-deflate message (RFC 7692 §6).
    public static func append(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true,
                              mask: (UInt8, UInt8, UInt8, UInt8)? = nil, compressed: Bool = false, to out: inout [UInt8]) {
        let length = payload.count
        out.reserveCapacity(out.count + headerLength(payloadCount: length, masked: mask != nil) + length)
        out.append((fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode.rawValue)
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if length <= 125 {
            out.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(truncatingIfNeeded: length >> 8))
            out.append(UInt8(truncatingIfNeeded: length))
        } else {
            out.append(maskBit | 127)
            let wide = UInt64(length)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: wide >> UInt64(shift)))
            }
        }
        guard let key = mask else {
            out.append(contentsOf: payload)
            return
        }
        out.append(key.0); out.append(key.1); out.append(key.2); out.append(key.3)
        let start = out.count
        out.append(contentsOf: payload)
        out.withUnsafeMutableBytes { buffer in
            let region = UnsafeMutableRawBufferPointer(rebasing: buffer[start...])
            WebSocketMasking.apply(key: key, from: UnsafeRawBufferPointer(region), to: region)
        }
    }

    public static func append(opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true,
                              mask: (UInt8, UInt8, UInt8, UInt8)? = nil, compressed: Bool = false, to out: inout [UInt8]) {
        payload.withUnsafeBytes { append(opcode: opcode, payload: $0, fin: fin, mask: mask, compressed: compressed, to: &out) }
    }

    /// A close frame's payload: the code, then the reason truncated so the whole payload fits a
    /// control frame (125 bytes), cut at a UTF-8 boundary so the peer does not fail us with 1007.
    public static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        let utf8 = reason.utf8
        let limit = webSocketMaxControlPayload - 2
        if utf8.count <= limit {
            out.append(contentsOf: utf8)
            return out
        }
        let bytes = Array(utf8)
        var end = limit
        // Step back over continuation bytes (10xxxxxx) so the cut lands before a code point's start.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        out.append(contentsOf: bytes[0..<end])
        return out
    }

    /// Bytes before the payload: 2, plus 2 or 8 for the extended length, plus 4 for a mask.
    public static func headerLength(payloadCount: Int, masked: Bool) -> Int {
        let lengthBytes = payloadCount <= 125 ? 0 : (payloadCount <= 0xFFFF ? 2 : 8)
        return 2 + lengthBytes + (masked ? 4 : 0)
    }
}
