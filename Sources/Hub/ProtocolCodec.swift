// Wire protocol v1: decoding client requests and encoding server replies (JSON text frames).
import JSON

/// Client → server (unknown members are ignored, so clients can add fields first):
///   `{"op":"subscribe","id":1,"topics":["inbox","conversation.*"],"since":{"inbox":{"epoch":"e","seq":41}}}`
///   `{"op":"unsubscribe","id":2,"topics":["inbox"]}`
///   `{"op":"publish","id":3,"topic":"t","type":"x.y","data":{}}`
///   `{"op":"ping","id":4}`
///   `{"op":"subscribe","id":5,"topics":["inbox"],"presence":true}` (exact topics only)
///   `{"op":"presence","id":6,"topic":"inbox"}`
/// Server → client:
///   ack of subscribe: `{"op":"ack","id":1,"topics":{"inbox":{"epoch":"e","seq":57,"recovered":true}}}`
///     (`recovered` only for topics the client sent `since` for)
///   ack of publish:   `{"op":"ack","id":3,"topic":"t","seq":5}` (seq assigned to the event)
///   ack of unsubscribe: `{"op":"ack","id":2}`
///   error: `{"op":"error","id":2,"code":"forbidden","message":"..."}`; pong: `{"op":"pong","id":4}`
///   events: `{"op":"batch","topic":"inbox","events":[e1,e2]}` with each `e` an EncodedEvent.
///   presence changes: `{"op":"presence","topic":"inbox","joined":[{"sub":"a","conn":"c1","node":"n1"}],"left":[]}`
///   presence answer: `{"op":"presence","id":6,"topic":"inbox","members":[{"sub":"a","connections":2}]}`
/// `id` is optional everywhere; when the request had one it is echoed verbatim.
public enum ProtocolCodec {
    public static let maxTopicsPerRequest = 100
    public static let maxTypeBytes = 100
    public static let maxEpochBytes = 64

    public static func decodeClient(_ bytes: [UInt8]) -> Result<ClientOp, ProtocolError> {
        let members: [(key: String, range: Range<Int>)]
        do {
            members = try JSONParser.topLevelMembers(bytes)
        } catch {
            return .failure(ProtocolError("request is not a JSON object: \(error.message)", id: nil))
        }
        let request = RequestMembers(bytes: bytes, members: members)
        var id: JSONValue?
        if let raw = request.value("id") {
            switch raw {
            case .number, .string: id = raw
            default: return .failure(ProtocolError("id must be a number or a string", id: nil))
            }
        }
        guard let op = request.value("op") else { return .failure(ProtocolError("op is missing", id: id)) }
        guard let opName = op.stringValue else { return .failure(ProtocolError("op must be a string", id: id)) }
        do throws(ProtocolError) {
            switch opName {
            case "subscribe":
                let topics = try patterns(request.value("topics"), id: id)
                let since = try positions(request.value("since"), topics: topics, id: id)
                let presence = try presenceFlag(request.value("presence"), topics: topics, id: id)
                return .success(.subscribe(id: id, topics: topics, since: since, presence: presence))
            case "unsubscribe":
                return .success(.unsubscribe(id: id, topics: try patterns(request.value("topics"), id: id)))
            case "publish":
                guard let topic = request.value("topic")?.stringValue, TopicName.isValid(topic) else {
                    throw ProtocolError("topic must be a valid topic name", id: id)
                }
                guard let type = request.value("type")?.stringValue, !type.isEmpty, type.utf8.count <= maxTypeBytes else {
                    throw ProtocolError("type must be a non-empty string of at most \(maxTypeBytes) bytes", id: id)
                }
                guard let data = request.rawBytes("data") else { throw ProtocolError("data is missing", id: id) }
                return .success(.publish(id: id, topic: topic, type: type, data: data))
            case "ping":
                return .success(.ping(id: id))
            case "presence":
                guard let topic = request.value("topic")?.stringValue, TopicName.isValid(topic) else {
                    throw ProtocolError("topic must be a valid topic name (presence has no wildcards)", id: id)
                }
                return .success(.presence(id: id, topic: topic))
            default:
                return .failure(ProtocolError("unknown op", id: id))
            }
        } catch {
            return .failure(error)
        }
    }

    private static func patterns(_ value: JSONValue?, id: JSONValue?) throws(ProtocolError) -> [TopicPattern] {
        guard let value else { throw ProtocolError("topics is missing", id: id) }
        guard let list = value.arrayValue else { throw ProtocolError("topics must be an array of strings", id: id) }
        guard !list.isEmpty else { throw ProtocolError("topics must not be empty", id: id) }
        guard list.count <= maxTopicsPerRequest else {
            throw ProtocolError("too many topics (at most \(maxTopicsPerRequest))", id: id)
        }
        var result: [TopicPattern] = []
        for entry in list {
            guard let text = entry.stringValue else { throw ProtocolError("topics must be an array of strings", id: id) }
            guard let pattern = TopicPattern(text) else { throw ProtocolError("invalid topic name: \(text.prefix(64))", id: id) }
            if !result.contains(pattern) { result.append(pattern) }
        }
        return result
    }

    /// `"presence": true` is allowed on exact topics only: a wildcard has no single member list.
    private static func presenceFlag(_ value: JSONValue?, topics: [TopicPattern], id: JSONValue?) throws(ProtocolError) -> Bool {
        guard let value else { return false }
        guard case .bool(let on) = value else { throw ProtocolError("presence must be true or false", id: id) }
        if on, let wildcard = topics.first(where: \.isWildcard) {
            throw ProtocolError("presence needs exact topics, not \(wildcard.description)", id: id)
        }
        return on
    }

    private static func positions(_ value: JSONValue?, topics: [TopicPattern], id: JSONValue?) throws(ProtocolError) -> [String: StreamPosition] {
        guard let value else { return [:] }
        guard let entries = value.objectValue else { throw ProtocolError("since must be an object", id: id) }
        guard entries.count <= maxTopicsPerRequest else {
            throw ProtocolError("too many since entries (at most \(maxTopicsPerRequest))", id: id)
        }
        var result: [String: StreamPosition] = [:]
        for (topic, position) in entries {
            guard TopicName.isValid(topic) else { throw ProtocolError("since entry has an invalid topic name", id: id) }
            guard topics.contains(where: { $0.matches(topic) }) else {
                throw ProtocolError("since entry names a topic not in topics: \(topic)", id: id)
            }
            guard result[topic] == nil else { throw ProtocolError("duplicate since entry: \(topic)", id: id) }
            guard let epoch = position["epoch"]?.stringValue, !epoch.isEmpty, epoch.utf8.count <= maxEpochBytes,
                  let seq = position["seq"]?.intValue, seq >= 0 else {
                throw ProtocolError("since entry malformed: \(topic) needs a string epoch and a non-negative integer seq", id: id)
            }
            result[topic] = StreamPosition(epoch: epoch, seq: seq)
        }
        return result
    }
}

/// Lazy access to a request's top-level members: each is parsed only when asked for, and `data`
/// is only ever copied as bytes.
private struct RequestMembers {
    let bytes: [UInt8]
    let members: [(key: String, range: Range<Int>)]

    /// The first member named `key`, parsed. Its bytes were validated already, so parsing cannot
    /// fail; a failure would still read as "missing" rather than trap.
    func value(_ key: String) -> JSONValue? {
        guard let range = members.first(where: { $0.key == key })?.range else { return nil }
        return try? JSONParser.parse(Array(bytes[range]))
    }

    func rawBytes(_ key: String) -> [UInt8]? {
        guard let range = members.first(where: { $0.key == key })?.range else { return nil }
        return Array(bytes[range])
    }
}
