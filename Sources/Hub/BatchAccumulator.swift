// One topic's pending batch, turned into a complete WebSocket text frame that every subscriber
// receives byte for byte.

/// Not thread-safe: owned by whoever owns the topic's batching window.
public struct BatchAccumulator: Sendable {
    public let topic: String
    private let prefix: [UInt8]
    private var events: [EncodedEvent] = []
    /// Sum of the pending events' encoded sizes.
    public private(set) var pendingBytes = 0

    public init(topic: String, epoch: String? = nil) {
        self.topic = topic
        self.prefix = ProtocolCodec.batchPrefix(topic: topic, epoch: epoch)
    }

    public var pendingEvents: Int { events.count }
    public var isEmpty: Bool { events.isEmpty }

    public mutating func append(_ event: EncodedEvent) {
        events.append(event)
        pendingBytes += event.byteCount
    }

    /// The size window is full: at least `maxEvents` events or `maxBytes` bytes of events.
    public func isFull(maxEvents: Int, maxBytes: Int) -> Bool {
        events.count >= maxEvents || pendingBytes >= maxBytes
    }

    /// Empties the batch into one complete, unmasked WebSocket text frame (FIN set, opcode 1)
    /// whose payload is `{"op":"batch","topic":..,"events":[..]}`. Nil when nothing is pending.
    ///
    /// The payload length is known before writing (the events are already encoded), so the
    /// header goes first and the frame is written once into a buffer of exactly the right size.
    public mutating func takeFrame() -> (frame: [UInt8], events: Int, firstSeq: Int64, lastSeq: Int64)? {
        guard let first = events.first, let last = events.last else { return nil }
        let payloadLength = prefix.count + pendingBytes + (events.count - 1) + ProtocolCodec.batchSuffix.count
        var frame: [UInt8] = []
        frame.reserveCapacity(WebSocketTextFrame.headerLength(payloadLength: payloadLength) + payloadLength)
        WebSocketTextFrame.appendHeader(payloadLength: payloadLength, to: &frame)
        frame.append(contentsOf: prefix)
        for (i, event) in events.enumerated() {
            if i > 0 { frame.append(UInt8(ascii: ",")) }
            frame.append(contentsOf: event.bytes)
        }
        frame.append(contentsOf: ProtocolCodec.batchSuffix)
        let count = events.count
        events.removeAll(keepingCapacity: true)
        pendingBytes = 0
        return (frame: frame, events: count, firstSeq: first.seq, lastSeq: last.seq)
    }
}

/// The RFC 6455 §5.2 header of an unmasked server-to-client text frame. Kept here (rather than
/// importing the WebSocket module) so the hub's frame building stays self-contained.
enum WebSocketTextFrame {
    static func headerLength(payloadLength: Int) -> Int {
        payloadLength < 126 ? 2 : (payloadLength <= 0xFFFF ? 4 : 10)
    }

    static func appendHeader(payloadLength: Int, to out: inout [UInt8]) {
        out.append(0x81)  // FIN + opcode 1 (text)
        if payloadLength < 126 {
            out.append(UInt8(payloadLength))
        } else if payloadLength <= 0xFFFF {
            out.append(126)
            out.append(UInt8(payloadLength >> 8 & 0xFF))
            out.append(UInt8(payloadLength & 0xFF))
        } else {
            out.append(127)
            let length = UInt64(payloadLength)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(length >> UInt64(shift) & 0xFF)) }
        }
    }
}
