// Client → server Socket.IO events as hub requests: `subscribe`, `unsubscribe` and `publish`
// carry one object argument with the fields of the /ws request of the same op, and are checked
// by the same codec (so the same errors come back, as `{"error":{"code","message"}}` acks).
import Hub
import JSON

public enum SocketIOEventRequest {
    public static let hubEvents: Set<String> = ["subscribe", "unsubscribe", "publish"]

    /// The hub request an event stands for, or the refusal to send back in the ack.
    public static func decode(name: String, arguments: [JSONValue]) -> Result<ClientOp, ClientRefusal> {
        guard hubEvents.contains(name) else {
            return .failure(ClientRefusal(code: "unknown_event", message: "unknown event: \(name.prefix(64))"))
        }
        guard case .object(let members)? = arguments.first else {
            return .failure(ClientRefusal(code: "bad_request", message: "\(name) takes one object argument"))
        }
        let request = JSONValue.object([("op", .string(name))] + members.filter { $0.0 != "op" && $0.0 != "id" })
        switch ProtocolCodec.decodeClient(JSONWriter.encode(request)) {
        case .success(let op): return .success(op)
        case .failure(let e): return .failure(ClientRefusal(code: e.code, message: e.message))
        }
    }

    /// `{"error":{"code":"..","message":".."}}`
    public static func errorAck(_ refusal: ClientRefusal) -> [UInt8] {
        var out: [UInt8] = Array(#"{"error":{"code":"#.utf8)
        JSONWriter.appendString(refusal.code, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONWriter.appendString(refusal.message, to: &out)
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// The `topics` object of a /ws subscribe ack: `{"topics":{"inbox":{"epoch","seq"[,"recovered"]}}}`.
    public static func subscribeAck(_ entries: [SubscribeAckEntry]) -> [UInt8] {
        // The /ws ack is `{"op":"ack","topics":{..}}`: reuse its writer and keep its topics member.
        var wsAck: [UInt8] = []
        ProtocolCodec.appendSubscribeAck(id: nil, topics: entries, to: &wsAck)
        let opening = Array(#"{"op":"ack","#.utf8)
        return [UInt8(ascii: "{")] + wsAck.dropFirst(opening.count)
    }
}
