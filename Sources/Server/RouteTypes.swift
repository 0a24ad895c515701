// What a route handler receives and returns. Handlers run on the connection's loop thread and
// must not block: slow work is deferred and answered later through `ResponseSink`.
import HTTP
import Reactor
import WebSocket

public struct RequestContext {
    public let request: HTTPRequest
    public let requestID: String
    public let peer: String
    public let params: [String: String]
    public let route: String
    public let loop: EventLoop
    /// Answers a deferred request from any thread; the response is written on the connection's loop.
    public let sink: ResponseSink
}

public enum RouteResult {
    case response(HTTPResponse)
    case failure(APIError)
    /// The handler answers later through `RequestContext.sink`; the connection reads no further
    /// request until then, so pipelined answers stay in order.
    case deferred
    /// Switch this connection to WebSocket, with the endpoint that handles its messages.
    case webSocket(accept: String, endpoint: WebSocketEndpoint)
}

public typealias RouteHandler = (RequestContext) -> RouteResult

/// Thread-safe handle for answering one deferred request, from any thread; the response is
/// written on the connection's loop. A plain value (no closure allocated per request), since most
/// requests are answered at once and never use it.
public struct ResponseSink: Sendable {
    let connection: LoopBound<ConnectionHandler>
    let request: HTTPRequest
    let requestID: String

    public func respond(_ response: HTTPResponse) { deliver(.success(response)) }
    public func fail(_ error: APIError) { deliver(.failure(error)) }

    private func deliver(_ result: Result<HTTPResponse, APIError>) {
        let request = self.request, requestID = self.requestID
        connection.execute { $0.completeDeferred(result, request: request, requestID: requestID) }
    }
}

/// The application side of a WebSocket connection. Called on the connection's loop.
public protocol WebSocketEndpoint: AnyObject {
    func webSocketDidOpen(_ peer: WebSocketPeer)
    func webSocket(_ peer: WebSocketPeer, didReceiveText text: [UInt8])
    func webSocket(_ peer: WebSocketPeer, didReceiveBinary data: [UInt8])
    func webSocketDidClose(_ peer: WebSocketPeer)
}

/// What an endpoint may do with its connection (implemented by the connection handler).
public protocol WebSocketPeer: AnyObject {
    var loop: EventLoop { get }
    var peerAddress: String { get }
    /// Bytes queued but not yet written (for slow-consumer limits).
    var queuedBytes: Int { get }
    /// Bytes written to the socket so far (monotonic; a stalled reader's stops moving).
    var bytesWritten: Int { get }
    func sendText(_ text: [UInt8])
    func sendBinary(_ data: [UInt8])
    /// Queues an already-encoded frame (shared by many connections).
    func sendFrame(_ frame: SharedBytes)
    func close(code: UInt16, reason: String)
    /// Drops queued output that has not started to go out, then closes with `code`: for a slow
    /// consumer, whose queue would otherwise delay the close frame indefinitely.
    func closeDiscardingOutput(code: UInt16, reason: String)
    /// permessage-deflate as negotiated for this connection; nil when it sends uncompressed.
    var outboundDeflate: OutboundDeflate? { get }
}

extension WebSocketPeer {
    public var outboundDeflate: OutboundDeflate? { nil }
}

/// Validates a WebSocket upgrade request and answers it with `endpoint`: 400 for a bad upgrade,
/// 426 for another WebSocket version.
public func webSocketUpgrade(_ ctx: RequestContext, to endpoint: WebSocketEndpoint) -> RouteResult {
    let r = ctx.request
    switch WebSocketHandshake.validate(method: r.method.name, versionMinor: r.versionMinor, header: { r.headers[$0] }) {
    case .success(let accept):
        return .webSocket(accept: accept, endpoint: endpoint)
    case .failure(let e):
        return .failure(APIError(status: e.status, code: e.code, message: e.message, headers: e.headers))
    }
}
