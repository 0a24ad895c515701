// Inflates permessage-deflate messages (RFC 7692 §7.2.2) frame by frame, with the size limit
// checked on the inflated bytes as they come out: a deflate bomb is refused once it passes the
// limit, before its output is ever stored. zlib's stream (about 7 KiB plus a 2^windowBits window)
// exists only while a message is being inflated; when the peer keeps its context across
// messages, what survives between them is only the last window of output as a dictionary (at
// most 32 KiB, less for short conversations), so an idle connection holds no zlib state.
import CZlib

public enum InflateOutcome: Sendable, Equatable {
    case ok
    /// The inflated message would exceed the limit.
    case tooBig
    /// The bytes are not a valid deflate stream.
    case corrupt
}

// Confined to its connection's loop; Sendable only so it can sit in the connection's session value.
public final class MessageInflater: @unchecked Sendable {
    /// The peer's window (client_max_window_bits); our window is 15, which decodes any smaller one.
    public let keepsContext: Bool
    private var stream: UnsafeMutablePointer<z_stream>?
    /// Between messages, with context takeover: the last output, at most one window.
    private var dictionary: [UInt8] = []
    /// The peer ended the deflate stream (BFINAL) inside this message: the rest is ignored.
    private var streamEnded = false
    private static let windowBits: Int32 = 15
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    public init(keepsContext: Bool) {
        self.keepsContext = keepsContext
    }

    deinit { release() }

    /// Bytes this inflater holds while no message is in progress (for the memory figures).
    public var idleBytes: Int { dictionary.capacity }

    /// Inflates one frame's compressed bytes of the current message, appending to `out`, which
    /// never grows past `limit`. Call `finishMessage` after the last frame.
    public func inflate(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8], limit: Int) -> InflateOutcome {
        guard let stream = openStream() else { return .corrupt }
        return run(stream, input, &out, limit)
    }

    /// Feeds the 00 00 FF FF tail RFC 7692 removed, then keeps the window (context takeover) or
    /// frees everything.
    public func finishMessage(appendingTo out: inout [UInt8], limit: Int) -> InflateOutcome {
        guard let stream = openStream() else { return .corrupt }
        let outcome = Self.tail.withUnsafeBytes { run(stream, $0, &out, limit) }
        endMessage(keepingWindow: outcome == .ok)
        return outcome
    }

    /// Drops a message that failed half-way (or a connection that closed mid-message).
    public func abandonMessage() { endMessage(keepingWindow: false) }

    private func run(_ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeRawBufferPointer,
                     _ out: inout [UInt8], _ limit: Int) -> InflateOutcome {
        guard !streamEnded, input.count > 0 else { return .ok }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        // Inflate into a stack scratch buffer, so output beyond the limit is never stored.
        return withUnsafeTemporaryAllocation(byteCount: 16 << 10, alignment: 1) { scratch -> InflateOutcome in
            while true {
                stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(scratch.count)
                let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let produced = scratch.count - Int(stream.pointee.avail_out)
                if produced > 0 {
                    guard out.count + produced <= limit else { return .tooBig }
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<produced]))
                }
                switch rc {
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return .ok }
                case Z_BUF_ERROR:
                    return .ok  // no progress possible: all input consumed
                case Z_STREAM_END:
                    streamEnded = true
                    return .ok
                default:
                    return .corrupt
                }
            }
        }
    }

    private func openStream() -> UnsafeMutablePointer<z_stream>? {
        if let stream { return stream }
        let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        s.initialize(to: z_stream())
        guard czlib_inflate_init_raw(s, Self.windowBits) == Z_OK else {
            s.deinitialize(count: 1)
            s.deallocate()
            return nil
        }
        if !dictionary.isEmpty {
            let rc = dictionary.withUnsafeBytes {
                inflateSetDictionary(s, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count))
            }
            if rc != Z_OK { dictionary = [] }
        }
        stream = s
        return s
    }

    private func endMessage(keepingWindow: Bool) {
        if keepsContext, keepingWindow, !streamEnded, let s = stream {
            var length: uInt = 0
            inflateGetDictionary(s, nil, &length)
            var window = [UInt8](repeating: 0, count: Int(length))
            if length > 0 {
                window.withUnsafeMutableBytes { _ = inflateGetDictionary(s, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), &length) }
            }
            dictionary = window
        } else {
            dictionary = []
        }
        streamEnded = false
        release()
    }

    private func release() {
        guard let s = stream else { return }
        inflateEnd(s)
        s.deinitialize(count: 1)
        s.deallocate()
        stream = nil
    }
}
