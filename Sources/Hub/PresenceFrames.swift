// Encoders for presence: the change frame, the answer to a presence request, and the body of
// GET /api/presence/{topic}. Shapes are in Protocol/README.md.
import JSON

extension ProtocolCodec {
    /// `{"op":"presence","topic":"t","joined":[{"sub":"a","conn":"c1","node":"n1"}],"left":[]}`
    public static func appendPresenceChange(_ change: PresenceChange, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"op":"presence","topic":"#.utf8)
        JSONWriter.appendString(change.topic, to: &out)
        out.append(contentsOf: #","joined":"#.utf8)
        appendMemberList(change.joined, to: &out)
        out.append(contentsOf: #","left":"#.utf8)
        appendMemberList(change.left, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"op":"presence","id":6,"topic":"t","members":[{"sub":"a","connections":2}]}`
    public static func appendPresenceAnswer(id: JSONValue?, topic: String, members: [PresenceCount], to out: inout [UInt8]) {
        out.append(contentsOf: #"{"op":"presence""#.utf8)
        if let id {
            out.append(contentsOf: #","id":"#.utf8)
            JSONWriter.append(id, to: &out)
        }
        out.append(contentsOf: #","topic":"#.utf8)
        JSONWriter.appendString(topic, to: &out)
        out.append(contentsOf: #","members":"#.utf8)
        appendCounts(members, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"topic":"t","members":[{"sub":"a","connections":2}]}` (GET /api/presence/{topic}).
    public static func presenceBody(topic: String, members: [PresenceCount]) -> [UInt8] {
        var out: [UInt8] = Array(#"{"topic":"#.utf8)
        JSONWriter.appendString(topic, to: &out)
        out.append(contentsOf: #","members":"#.utf8)
        appendCounts(members, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func appendMemberList(_ members: [PresenceMember], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, m) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"sub":"#.utf8)
            JSONWriter.appendString(m.sub, to: &out)
            out.append(contentsOf: #","conn":"#.utf8)
            JSONWriter.appendString(m.conn, to: &out)
            out.append(contentsOf: #","node":"#.utf8)
            JSONWriter.appendString(m.node, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func appendCounts(_ members: [PresenceCount], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, m) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"sub":"#.utf8)
            JSONWriter.appendString(m.sub, to: &out)
            out.append(contentsOf: #","connections":"#.utf8)
            JSONWriter.appendInt(Int64(m.connections), to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }
}
