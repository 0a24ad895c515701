// An event kept in the publication journal, and the journal's byte format. No dependencies, so
// the decoder can be fuzzed on its own (scripts/fuzz-journal.sh).

/// One event as the hub takes it.
public struct JournaledEvent: Sendable, Equatable {
    public var topic: String
    public var type: String
    /// A JSON object, as published.
    public var data: [UInt8]
    public var correlationID: String

    public init(topic: String, type: String, data: [UInt8], correlationID: String) {
        self.topic = topic
        self.type = type
        self.data = data
        self.correlationID = correlationID
    }
}

/// The journal's byte format: per event, four length-prefixed fields (u32 big-endian lengths).
public enum JournalCoding {
    public static func encode(_ events: [JournaledEvent]) -> [UInt8] {
        var out: [UInt8] = []
        for event in events {
            for field in [Array(event.topic.utf8), Array(event.type.utf8), event.data, Array(event.correlationID.utf8)] {
                let n = UInt32(clamping: field.count)
                out += [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
                out += field
            }
        }
        return out
    }

    /// nil for bytes that are not a whole number of well-formed events (never a crash).
    public static func decode(_ bytes: [UInt8]) -> [JournaledEvent]? {
        var events: [JournaledEvent] = []
        var index = 0
        func field() -> [UInt8]? {
            guard bytes.count - index >= 4 else { return nil }
            let n = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            index += 4
            guard bytes.count - index >= n else { return nil }
            defer { index += n }
            return Array(bytes[index..<(index + n)])
        }
        while index < bytes.count {
            guard let topic = field(), let type = field(), let data = field(), let correlation = field() else { return nil }
            events.append(JournaledEvent(topic: String(decoding: topic, as: UTF8.self), type: String(decoding: type, as: UTF8.self),
                                         data: data, correlationID: String(decoding: correlation, as: UTF8.self)))
        }
        return events
    }
}
