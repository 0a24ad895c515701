// The requests a client sends over the socket (wire protocol v1), as decoded by ProtocolCodec.
import JSON

public enum ClientOp: Sendable, Equatable {
    /// `since` maps concrete topic names (each matched by one of `topics`) to the client's position.
    /// `presence`: the connection joins the presence of each (exact) topic and receives presence frames.
    case subscribe(id: JSONValue?, topics: [TopicPattern], since: [String: StreamPosition], presence: Bool = false)
    case unsubscribe(id: JSONValue?, topics: [TopicPattern])
    /// `data` is the exact bytes of the frame's `data` member: one valid JSON value, not re-encoded.
    case publish(id: JSONValue?, topic: String, type: String, data: [UInt8])
    case ping(id: JSONValue?)
    /// Who is present on `topic` now.
    case presence(id: JSONValue?, topic: String)

    /// The request id to echo in the reply (a number or string literal as sent), if any.
    public var id: JSONValue? {
        switch self {
        case let .subscribe(id, _, _, _), let .unsubscribe(id, _), let .publish(id, _, _, _), let .ping(id),
             let .presence(id, _): return id
        }
    }
}

/// A request the codec refused. `code` is "bad_request"; `id` is the request's id when it could
/// be read, so the error reply can be matched to the request.
public struct ProtocolError: Error, Sendable, Equatable {
    public let code: String
    public let message: String
    public let id: JSONValue?

    init(_ message: String, id: JSONValue?) {
        self.code = "bad_request"
        self.message = message
        self.id = id
    }
}
