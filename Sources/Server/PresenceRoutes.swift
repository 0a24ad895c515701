// GET /api/presence/{topic}: who is present on a topic, for servers and ops tools.
import HTTP
import Hub

public struct PresenceRoutes {
    let presence: PresenceHub
    let auth: Authenticator

    public init(presence: PresenceHub, auth: Authenticator) {
        self.presence = presence
        self.auth = auth
    }

    public func register(on server: Server) {
        server.addRoute(.get, "/api/presence/{topic}") { ctx in self.members(ctx) }
    }

    /// `{"topic":T,"members":[{"sub":S,"connections":K}]}`. The API key, or an ops token that may
    /// read the topic (403 otherwise).
    func members(_ ctx: RequestContext) -> RouteResult {
        let topic = ctx.params["topic"] ?? ""
        let caller: Authenticator.Caller
        switch auth.caller(ctx.request, roles: [.ops]) {
        case .failure(let e): return .failure(e)
        case .success(let c): caller = c
        }
        guard TopicName.isValid(topic), let pattern = TopicPattern(topic) else {
            return .failure(.badRequest("topic must be a valid topic name (presence has no wildcards)"))
        }
        if case .token(let claims) = caller, !claims.maySubscribe(pattern) {
            return .failure(.forbidden("token does not allow \(topic)"))
        }
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        return .response(HTTPResponse(status: 200, headers: h, body: ProtocolCodec.presenceBody(topic: topic, members: presence.members(topic))))
    }
}
