// Parses one RFC 6455 frame (§5.2) from the front of a byte buffer, with no I/O and no state
// between calls: the caller keeps its receive buffer, calls `parse` on its start and drops
// `consumed` bytes. Header errors are reported as soon as the header bytes are present, so an
// oversized or malformed frame is refused before its payload is buffered.

public enum WebSocketParseResult: Sendable, Equatable {
    /// The buffer holds no complete frame yet; `consumed` is 0.
    case needMore
    case frame(WebSocketFrame)
    /// The connection must be failed: send close(code) and close TCP. `consumed` is 0.
    case fail(code: UInt16, reason: String)
}

public struct WebSocketFrameParser: Sendable {
    public let requireMasked: Bool
    public let maxFramePayload: Int
    /// permessage-deflate was negotiated: RSV1 may be set on the first frame of a data message.
    public let allowsCompression: Bool

    /// - Parameters:
    ///   - requireMasked: true on the server side, where every client frame must be masked (§5.1);
    ///     an unmasked frame fails with 1002. With false (client side), frames are accepted masked
    ///     or not, and masked ones are unmasked.
    ///   - maxFramePayload: frames announcing a larger payload fail with 1009 before it arrives.
    ///   - allowsCompression: RSV1 is accepted on text and binary frames (permessage-deflate);
    ///     anywhere else (control frames, continuations, or without the extension) it fails with 1002.
    public init(requireMasked: Bool = true, maxFramePayload: Int, allowsCompression: Bool = false) {
        self.requireMasked = requireMasked
        self.maxFramePayload = max(0, maxFramePayload)
        self.allowsCompression = allowsCompression
    }

    /// Parses at most ONE frame from the start of `bytes`. Unmasks into the frame's payload.
    /// `consumed` is the frame's full length for `.frame`, and 0 otherwise.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, result: WebSocketParseResult) {
        let count = bytes.count
        guard count >= 2, let base = bytes.baseAddress else { return (0, .needMore) }
        let first = base.load(as: UInt8.self)
        let second = base.load(fromByteOffset: 1, as: UInt8.self)

        let fin = first & 0x80 != 0
        guard first & 0x30 == 0 else {
            return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "reserved bits set"))
        }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "unknown opcode"))
        }
        let compressed = first & 0x40 != 0
        if compressed && !(allowsCompression && (opcode == .text || opcode == .binary)) {
            return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "RSV1 set without a compressed message start"))
        }
        if opcode.isControl && !fin {
            return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "fragmented control frame"))
        }
        let masked = second & 0x80 != 0
        if requireMasked && !masked {
            return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "unmasked client frame"))
        }
        let shortLength = Int(second & 0x7F)
        if opcode.isControl && shortLength > webSocketMaxControlPayload {
            return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "control frame too long"))
        }

        var headerLength = 2
        let payloadLength: Int
        switch shortLength {
        case 126:
            guard count >= 4 else { return (0, .needMore) }
            payloadLength = Int(base.load(fromByteOffset: 2, as: UInt8.self)) << 8
                | Int(base.load(fromByteOffset: 3, as: UInt8.self))
            headerLength = 4
        case 127:
            guard count >= 10 else { return (0, .needMore) }
            var length: UInt64 = 0
            for offset in 2..<10 {
                length = length << 8 | UInt64(base.load(fromByteOffset: offset, as: UInt8.self))
            }
            guard length & (1 << 63) == 0 else {
                return (0, .fail(code: WebSocketCloseCode.protocolError, reason: "64-bit length has its high bit set"))
            }
            guard let exact = Int(exactly: length), exact <= maxFramePayload else {
                return (0, .fail(code: WebSocketCloseCode.messageTooBig, reason: "frame too big"))
            }
            payloadLength = exact
            headerLength = 10
        default:
            payloadLength = shortLength
        }
        guard payloadLength <= maxFramePayload else {
            return (0, .fail(code: WebSocketCloseCode.messageTooBig, reason: "frame too big"))
        }

        let maskOffset = headerLength
        if masked { headerLength += 4 }
        // payloadLength <= maxFramePayload <= Int.max, so only the sum can overflow.
        let (frameLength, overflow) = headerLength.addingReportingOverflow(payloadLength)
        guard !overflow else {
            return (0, .fail(code: WebSocketCloseCode.messageTooBig, reason: "frame too big"))
        }
        guard count >= frameLength else { return (0, .needMore) }

        let source = UnsafeRawBufferPointer(rebasing: bytes[headerLength..<frameLength])
        let payload: [UInt8]
        if masked {
            let key = (
                base.load(fromByteOffset: maskOffset, as: UInt8.self),
                base.load(fromByteOffset: maskOffset + 1, as: UInt8.self),
                base.load(fromByteOffset: maskOffset + 2, as: UInt8.self),
                base.load(fromByteOffset: maskOffset + 3, as: UInt8.self)
            )
            payload = [UInt8](unsafeUninitializedCapacity: payloadLength) { out, initialized in
                WebSocketMasking.apply(key: key, from: source, to: UnsafeMutableRawBufferPointer(out))
                initialized = payloadLength
            }
        } else {
            payload = [UInt8](source)
        }
        return (frameLength, .frame(WebSocketFrame(fin: fin, opcode: opcode, payload: payload, compressed: compressed)))
    }

    /// Convenience for arrays (tests, tools).
    public mutating func parse(_ bytes: [UInt8]) -> (consumed: Int, result: WebSocketParseResult) {
        bytes.withUnsafeBytes { parse($0) }
    }
}
