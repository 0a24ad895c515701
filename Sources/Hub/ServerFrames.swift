// Encoders for the server → client messages of wire protocol v1 (see ProtocolCodec for shapes).
import JSON

/// One topic's line in a subscribe ack. `recovered` is nil unless the client sent `since` for it.
public struct SubscribeAckEntry: Sendable, Equatable {
    public var topic: String
    public var epoch: String
    public var seq: Int64
    public var recovered: Bool?
    /// A wildcard subscription has no single position: its line is `{"wildcard":true}`.
    public var wildcard = false

    public init(topic: String, epoch: String, seq: Int64, recovered: Bool? = nil) {
        self.topic = topic
        self.epoch = epoch
        self.seq = seq
        self.recovered = recovered
    }

    public static func wildcard(_ pattern: String) -> SubscribeAckEntry {
        var e = SubscribeAckEntry(topic: pattern, epoch: "", seq: 0)
        e.wildcard = true
        return e
    }
}

extension ProtocolCodec {
    /// `{"op":"ack","id":1,"topics":{"inbox":{"epoch":"e","seq":57,"recovered":true}}}`
    public static func appendSubscribeAck(id: JSONValue?, topics: [SubscribeAckEntry], to out: inout [UInt8]) {
        appendOpening("ack", id: id, to: &out)
        out.append(contentsOf: #","topics":{"#.utf8)
        for (i, entry) in topics.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(entry.topic, to: &out)
            if entry.wildcard {
                out.append(contentsOf: #":{"wildcard":true}"#.utf8)
                continue
            }
            out.append(contentsOf: #":{"epoch":"#.utf8)
            JSONWriter.appendString(entry.epoch, to: &out)
            out.append(contentsOf: #","seq":"#.utf8)
            JSONWriter.appendInt(entry.seq, to: &out)
            if let recovered = entry.recovered {
                out.append(contentsOf: (recovered ? #","recovered":true"# : #","recovered":false"#).utf8)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "}}".utf8)
    }

    /// `{"op":"ack","id":3,"topic":"t","seq":5}`: the publish was accepted as event `seq` of `topic`.
    public static func appendPublishAck(id: JSONValue?, topic: String, seq: Int64, to out: inout [UInt8]) {
        appendOpening("ack", id: id, to: &out)
        out.append(contentsOf: #","topic":"#.utf8)
        JSONWriter.appendString(topic, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        JSONWriter.appendInt(seq, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"op":"ack","id":2}`: the plain acknowledgement (unsubscribe).
    public static func appendAck(id: JSONValue?, to out: inout [UInt8]) {
        appendOpening("ack", id: id, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"op":"error","id":2,"code":"forbidden","message":"..."}`
    public static func appendError(id: JSONValue?, code: String, message: String, to out: inout [UInt8]) {
        appendOpening("error", id: id, to: &out)
        out.append(contentsOf: #","code":"#.utf8)
        JSONWriter.appendString(code, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONWriter.appendString(message, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"op":"pong","id":4}`
    public static func appendPong(id: JSONValue?, to out: inout [UInt8]) {
        appendOpening("pong", id: id, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"op":"batch","topic":"inbox","events":[e1,e2]}` from already-encoded events.
    public static func appendBatch(topic: String, events: [EncodedEvent], to out: inout [UInt8]) {
        out.append(contentsOf: batchPrefix(topic: topic))
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: event.bytes)
        }
        out.append(contentsOf: batchSuffix)
    }

    /// `{"op":"batch","topic":"<topic>","events":[`
    static func batchPrefix(topic: String) -> [UInt8] {
        var out: [UInt8] = Array(#"{"op":"batch","topic":"#.utf8)
        JSONWriter.appendString(topic, to: &out)
        out.append(contentsOf: #","events":["#.utf8)
        return out
    }

    static let batchSuffix: [UInt8] = Array("]}".utf8)

    /// `{"op":"<op>"` plus `,"id":<id>` when there is one. The id is written back as parsed.
    private static func appendOpening(_ op: StaticString, id: JSONValue?, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"op":""#.utf8)
        out.append(contentsOf: UnsafeBufferPointer(start: op.utf8Start, count: op.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        if let id {
            out.append(contentsOf: #","id":"#.utf8)
            JSONWriter.append(id, to: &out)
        }
    }
}
