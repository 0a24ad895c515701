// What travels on the announcement channel, without I/O. Events are written by the publish
// script (`topic \n epoch \n seq \n ts \n event`); control messages start with `!`: heartbeats
// (which also prove the channel still delivers), presence joins and leaves, and the hello of a
// node that (re)connected, which every other node answers with its presence members.
import Hub

public enum Announcement: Equatable, Sendable {
    case event(topic: String, epoch: String, seq: Int64, ts: Int64, encoded: [UInt8])
    case heartbeat(node: String, sentMs: Int64)
    case hello(node: String)
    case joined(node: String, topic: String, sub: String, conn: String)
    case left(node: String, topic: String, sub: String, conn: String)

    /// nil for anything malformed (ignored by the receiver).
    public static func decode(_ bytes: [UInt8]) -> Announcement? {
        if bytes.first == UInt8(ascii: "!") {
            let parts = bytes.dropFirst().split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            switch (parts.first, parts.count) {
            case ("hb", 3): return Int64(parts[2]).map { .heartbeat(node: parts[1], sentMs: $0) }
            case ("hello", 2): return .hello(node: parts[1])
            case ("pj", 5): return .joined(node: parts[1], topic: parts[2], sub: parts[3], conn: parts[4])
            case ("pl", 5): return .left(node: parts[1], topic: parts[2], sub: parts[3], conn: parts[4])
            default: return nil
            }
        }
        // The event itself may contain newlines (JSON whitespace): split the first four only.
        let parts = bytes.split(separator: 10, maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5 else { return nil }
        let topic = String(decoding: parts[0], as: UTF8.self), epoch = String(decoding: parts[1], as: UTF8.self)
        guard TopicName.isValid(topic), !epoch.isEmpty,
              let seq = Int64(String(decoding: parts[2], as: UTF8.self)), seq > 0,
              let ts = Int64(String(decoding: parts[3], as: UTF8.self)), !parts[4].isEmpty else { return nil }
        return .event(topic: topic, epoch: epoch, seq: seq, ts: ts, encoded: Array(parts[4]))
    }

    /// Control messages only (events are written by the publish script). Presence fields must not
    /// contain newlines: topics cannot, and `sub`s with one are not announced.
    public var encoded: [UInt8]? {
        switch self {
        case .event: return nil
        case let .heartbeat(node, sentMs): return Array("!hb\n\(node)\n\(sentMs)".utf8)
        case let .hello(node): return Array("!hello\n\(node)".utf8)
        case let .joined(node, topic, sub, conn), let .left(node, topic, sub, conn):
            guard !sub.contains("\n") else { return nil }
            let kind = if case .joined = self { "pj" } else { "pl" }
            return Array("!\(kind)\n\(node)\n\(topic)\n\(sub)\n\(conn)".utf8)
        }
    }

    /// The encoded event after `{"seq":<n>`, which the publish script completes with the seq.
    public static func eventTail(type: String, ts: Int64, data: [UInt8], meta: [UInt8]?) -> [UInt8] {
        let whole = EncodedEvent(seq: 0, type: type, ts: ts, data: data, meta: meta).bytes
        return Array(whole.dropFirst(eventHead.count))
    }

    static let eventHead = Array(#"{"seq":0"#.utf8)
}
