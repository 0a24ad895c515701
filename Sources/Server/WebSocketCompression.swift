// permessage-deflate on the sending side. The server never keeps a compressor per connection
// (it always negotiates server_no_context_takeover): each loop owns one deflater per window size
// in use, reset after every message, and a hub frame is compressed at most once per window size,
// the same bytes then queued to every subscriber that negotiated that window.
import Deflate
import Locks
import Reactor
import WebSocket

/// How a connection that negotiated permessage-deflate wants its messages: the window it agreed
/// to, and the size under which a message goes out uncompressed (RSV1 clear).
public struct OutboundDeflate: Sendable, Hashable {
    public let windowBits: Int
    public let minBytes: Int

    public init(windowBits: Int, minBytes: Int) {
        self.windowBits = windowBits
        self.minBytes = minBytes
    }

    func compresses(payloadCount: Int) -> Bool { payloadCount >= minBytes }
}

/// One loop's deflaters, one per window size, made on first use. Loop-confined.
final class LoopDeflaters: @unchecked Sendable {
    private var byWindow = [MessageDeflater?](repeating: nil, count: 16)

    func deflater(windowBits: Int) -> MessageDeflater {
        let bits = min(max(windowBits, 8), 15)
        if let d = byWindow[bits] { return d }
        let d = MessageDeflater(windowBits: bits)!  // 8...15 always initializes
        byWindow[bits] = d
        return d
    }

    /// A complete server frame (FIN, RSV1) carrying `payload` compressed.
    func compressedFrame(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, windowBits: Int) -> [UInt8] {
        var body: [UInt8] = []
        deflater(windowBits: windowBits).compress(payload, appendingTo: &body)
        var out: [UInt8] = []
        WebSocketFrameEncoder.append(opcode: opcode, payload: body, compressed: true, to: &out)
        return out
    }
}

/// One flushed hub frame and its compressed forms, made lazily by whichever loop first needs a
/// window size and shared by all (the lock is taken once per loop and window, not per subscriber).
final class HubFrameVariants: @unchecked Sendable {
    let plain: SharedBytes
    /// The text payload inside `plain` (after the 2-, 4- or 10-byte unmasked header).
    private let payloadRange: Range<Int>
    private let compressed = Locked<[SharedBytes?]>(Array(repeating: nil, count: 16))

    init(plain: SharedBytes) {
        self.plain = plain
        let bytes = plain.pointer
        let short = bytes.count >= 2 ? Int(bytes[1] & 0x7F) : 0
        let header = short == 127 ? 10 : (short == 126 ? 4 : 2)
        payloadRange = min(header, bytes.count)..<bytes.count
    }

    var payloadCount: Int { payloadRange.count }

    /// The bytes to queue to a subscriber with `deflate` (nil: not negotiated or compression off).
    func frame(for deflate: OutboundDeflate?, deflaters: LoopDeflaters) -> SharedBytes {
        guard let deflate, deflate.compresses(payloadCount: payloadCount) else { return plain }
        let bits = min(max(deflate.windowBits, 8), 15)
        return compressed.withLock { variants in
            if let made = variants[bits] { return made }
            let payload = UnsafeRawBufferPointer(rebasing: plain.pointer[payloadRange])
            let made = SharedBytes(deflaters.compressedFrame(opcode: .text, payload: payload, windowBits: bits))
            variants[bits] = made
            return made
        }
    }
}
