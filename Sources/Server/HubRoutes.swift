// HTTP entry points of the hub: the WebSocket upgrade at /ws (token checked before the upgrade)
// and server-side publishing at POST /api/publish (API key).
import HTTP
import Hub
import JSON
import Reactor

public struct HubRoutes {
    /// Subscriptions of /ws connections.
    let fanout: HubFanout
    /// Where POST /api/publish goes (the in-process hub today, a backplane later).
    let publisher: any EventPublisher
    let auth: Authenticator
    /// Presence of /ws connections (nil: presence requests are refused).
    let presence: PresenceHub?
    /// Events per POST /api/publish.
    static let maxEventsPerRequest = 1000

    public init(fanout: HubFanout, publisher: any EventPublisher, auth: Authenticator, presence: PresenceHub? = nil) {
        self.fanout = fanout
        self.publisher = publisher
        self.auth = auth
        self.presence = presence
    }

    public func register(on server: Server) {
        server.addRoute(.get, "/ws") { ctx in self.upgrade(ctx) }
        server.addRoute(.post, "/api/publish") { ctx in self.publish(ctx) }
    }

    /// `GET /ws?token=<jwt>` or `Authorization: Bearer <jwt>`: 401 before the upgrade when the
    /// token is missing, malformed, wrongly signed or expired.
    func upgrade(_ ctx: RequestContext) -> RouteResult {
        if let backplane = fanout.backplane, !backplane.isAvailable {
            return .failure(APIError(status: 503, code: "backplane_unavailable", message: "this node lost the cluster backplane; connect to another node",
                                     headers: [("Retry-After", "1")]))
        }
        let token = ctx.request.queryValue("token") ?? Authenticator.bearer(ctx.request.headers["Authorization"])
        guard let token, !token.isEmpty else {
            return .failure(.unauthorized("a token is required (?token= or Authorization: Bearer)"))
        }
        let claims: TokenClaims
        switch auth.verify(token: token) {
        case .success(let c): claims = c
        case .failure(let e): return .failure(e)
        }
        return webSocketUpgrade(ctx, to: HubClient(engine: fanout, claims: claims, loop: ctx.loop, presence: presence))
    }

    /// Body `{"topic","type","data"}` or an array of those → 202 `{"results":[{"topic","seq"}]}`.
    /// The whole request is validated before anything is published, so a bad item publishes nothing.
    func publish(_ ctx: RequestContext) -> RouteResult {
        guard auth.isAPIKey(ctx.request.headers["Authorization"]) else {
            return .failure(.unauthorized("Authorization: Bearer <SWITCHBOARD_API_KEY> required"))
        }
        let body: JSONValue
        do {
            body = try JSONParser.parse(ctx.request.body)
        } catch {
            return .failure(.badRequest("body is not valid JSON: \(error.message)"))
        }
        let items: [JSONValue]
        let single: Bool
        switch body {
        case .array(let a): items = a; single = false
        case .object: items = [body]; single = true
        default: return .failure(.badRequest("body must be an event object or an array of them"))
        }
        guard !items.isEmpty else { return .failure(.badRequest("no events")) }
        guard items.count <= Self.maxEventsPerRequest else {
            return .failure(APIError(status: 413, code: "payload_too_large", message: "at most \(Self.maxEventsPerRequest) events per request"))
        }
        var events: [OutgoingEvent] = []
        events.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let at = single ? "" : "[\(i)]."
            guard case .object = item else { return .failure(.badRequest("\(single ? "body" : "[\(i)]") must be an object")) }
            guard let topic = item["topic"]?.stringValue, TopicName.isValid(topic) else {
                return .failure(.badRequest("\(at)topic must be a valid topic name"))
            }
            guard let type = item["type"]?.stringValue, !type.isEmpty, type.utf8.count <= ProtocolCodec.maxTypeBytes else {
                return .failure(.badRequest("\(at)type must be a non-empty string of at most \(ProtocolCodec.maxTypeBytes) bytes"))
            }
            guard let data = item["data"] else { return .failure(.badRequest("\(at)data is missing")) }
            events.append(OutgoingEvent(topic: topic, type: type, data: JSONWriter.encode(data)))
        }
        let meta = EventMeta.correlation(ctx.requestID)
        for i in events.indices { events[i].meta = meta }
        if fanout.backplane != nil {
            // Clustered: the seqs come from the backplane, one round trip later (the fan-out
            // hands every publish to it, whatever `publisher` is).
            let sink = ctx.sink
            let sent = events
            fanout.publish(sent, as: .external) { outcome in
                switch Self.answer(sent, outcome) {
                case .response(let r): sink.respond(r)
                case .failure(let e): sink.fail(e)
                default: break
                }
            }
            return .deferred
        }
        return Self.answer(events, publisher.publish(events, as: .external))
    }

    static func answer(_ events: [OutgoingEvent], _ outcome: PublishOutcome) -> RouteResult {
        let seqs: [Int64]
        switch outcome {
        case .published(let s): seqs = s
        case .overloaded(let retryAfter):
            return .failure(APIError(status: 429, code: "overloaded", message: "the hub is overloaded (subscribers are behind); retry after \(retryAfter) s",
                                     headers: [("Retry-After", "\(retryAfter)")]))
        case .unavailable:
            return .failure(APIError(status: 503, code: "backplane_unavailable", message: "the cluster backplane (Redis) is unreachable; retry later",
                                     headers: [("Retry-After", "1")]))
        }
        var out: [UInt8] = Array(#"{"results":["#.utf8)
        for (i, (e, seq)) in zip(events, seqs).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"topic":"#.utf8)
            JSONWriter.appendString(e.topic, to: &out)
            out.append(contentsOf: #","seq":"#.utf8)
            JSONWriter.appendInt(seq, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        return .response(HTTPResponse(status: 202, headers: h, body: out))
    }
}
