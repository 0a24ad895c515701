// Compresses whole WebSocket messages the way permessage-deflate wants them (RFC 7692 §7.2.1):
// raw deflate, ended with a sync flush whose trailing 00 00 FF FF is removed. The stream is reset
// after every message (server_no_context_takeover), so one deflater serves any number of
// connections on its thread and the same output can be sent to all of them.
import CZlib

// Confined to one thread (a loop); Sendable only so it can sit in loop-owned state.
public final class MessageDeflater: @unchecked Sendable {
    /// The window the peer agreed to (server_max_window_bits, 8...15).
    public let windowBits: Int
    /// False for the server (server_no_context_takeover). True is what a client without
    /// client_no_context_takeover does; tests and load tools use it.
    public let keepsContext: Bool
    private let stream: UnsafeMutablePointer<z_stream>

    /// - Parameter windowBits: 8...15. zlib cannot make raw deflate with a 256-byte window, so for
    ///   8 it compresses with Huffman coding only: no back-references at all, which any window
    ///   size decodes (smaller output gains, but correct for a peer that asked for 8).
    public init?(windowBits: Int, level: Int32 = 6, keepsContext: Bool = false) {
        guard (8...15).contains(windowBits) else { return nil }
        self.windowBits = windowBits
        self.keepsContext = keepsContext
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let strategy = windowBits == 8 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY
        // memLevel 8 is zlib's default; this deflater is per thread, not per connection.
        let rc = czlib_deflate_init_raw(stream, level, Int32(max(windowBits, 9)), 8, strategy)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Appends the compressed form of `message` to `out` (without the 00 00 FF FF tail).
    public func compress(_ message: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
        defer { if !keepsContext { deflateReset(stream) } }
        let start = out.count
        // Deflate output is at most the input plus a few bytes per 16 KiB block; sync flush adds 5.
        let bound = Int(deflateBound(stream, uLong(message.count))) + 16
        out.reserveCapacity(start + bound)
        var pending = true
        stream.pointee.next_in = UnsafeMutablePointer(mutating: message.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(message.count)
        while pending {
            let before = out.count
            let room = max(bound, 64)
            out.append(contentsOf: repeatElement(0, count: room))
            out.withUnsafeMutableBytes { buffer in
                stream.pointee.next_out = buffer.baseAddress!.advanced(by: before).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(room)
                _ = deflate(stream, Z_SYNC_FLUSH)
            }
            let left = Int(stream.pointee.avail_out)
            out.removeLast(left)
            // A sync flush is complete once deflate stops short of filling the buffer.
            pending = left == 0
        }
        stream.pointee.next_in = nil
        // The flush always ends with an empty stored block, 00 00 FF FF; RFC 7692 drops it.
        if out.count - start >= 4 { out.removeLast(4) }
    }

    public func compress(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        message.withUnsafeBytes { compress($0, appendingTo: &out) }
        return out
    }
}
