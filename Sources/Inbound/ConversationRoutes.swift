// REST for the frontend's first load and paging (token with role agent or ops), and the admin
// view of dead letters (API key or an ops token: the ops console lists and replays them). The
// store runs the queries on its own threads; the loop thread only parses and answers.
import Conversations
import HTTP
import Hub
import JSON
import Reactor
import Server
import Store

public struct ConversationRoutes {
    let conversations: any ConversationStore
    let inbox: any InboxStore
    let hub: any EventPublisher
    let auth: Authenticator
    let processor: InboxProcessor

    public init(conversations: any ConversationStore, inbox: any InboxStore, hub: any EventPublisher, auth: Authenticator,
                processor: InboxProcessor) {
        self.conversations = conversations
        self.inbox = inbox
        self.hub = hub
        self.auth = auth
        self.processor = processor
    }

    public func register(on server: Server) {
        server.addRoute(.get, "/api/conversations") { ctx in self.list(ctx) }
        server.addRoute(.get, "/api/conversations/{wa_id}/messages") { ctx in self.messages(ctx) }
        server.addRoute(.post, "/api/conversations/{wa_id}/read") { ctx in self.markRead(ctx) }
        server.addRoute(.get, "/api/admin/dead-letters") { ctx in self.deadLetters(ctx) }
        server.addRoute(.post, "/api/admin/dead-letters/{id}/replay") { ctx in self.replay(ctx) }
    }

    // MARK: access

    func authorize(_ ctx: RequestContext, topic: String) -> APIError? {
        switch auth.caller(ctx.request, roles: [.agent, .ops]) {
        case .failure(let e): return e
        case .success(.apiKey): return nil
        case .success(.token(let claims)):
            return claims.mayRead(topic: topic) ? nil : .forbidden("token does not allow \(topic)")
        }
    }

    static func limit(_ ctx: RequestContext) -> Result<Int, APIError> {
        guard let raw = ctx.request.queryValue("limit") else { return .success(ConversationQueries.defaultLimit) }
        guard let n = Int(raw), ConversationQueries.limitRange.contains(n) else {
            return .failure(.badRequest("limit must be an integer \(ConversationQueries.limitRange.lowerBound)-\(ConversationQueries.limitRange.upperBound)"))
        }
        return .success(n)
    }

    // MARK: conversations

    func list(_ ctx: RequestContext) -> RouteResult {
        if let e = authorize(ctx, topic: "inbox") { return .failure(e) }
        let limit: Int
        switch Self.limit(ctx) { case .success(let n): limit = n; case .failure(let e): return .failure(e) }
        let before = ctx.request.queryValue("before")
        let sink = ctx.sink
        conversations.readConversations({ store in
            let page = try ConversationQueries.listConversations(store, limit: limit, before: before)
            return Self.pageJSON(page.items.map { $0.json() }, next: page.nextCursor)
        }, completion: { result in Self.answer(result, sink) })
        return .deferred
    }

    func messages(_ ctx: RequestContext) -> RouteResult {
        let waID = ctx.params["wa_id"] ?? ""
        if let e = authorize(ctx, topic: "conversation." + waID) { return .failure(e) }
        let limit: Int
        switch Self.limit(ctx) { case .success(let n): limit = n; case .failure(let e): return .failure(e) }
        let before = ctx.request.queryValue("before")
        let sink = ctx.sink
        conversations.readConversations({ store in
            let page = try ConversationQueries.messages(store, waID: waID, limit: limit, before: before)
            return Self.pageJSON(page.items.map { $0.json() }, next: page.nextCursor)
        }, completion: { result in Self.answer(result, sink) })
        return .deferred
    }

    func markRead(_ ctx: RequestContext) -> RouteResult {
        let waID = ctx.params["wa_id"] ?? ""
        if let e = authorize(ctx, topic: "conversation." + waID) { return .failure(e) }
        let sink = ctx.sink
        let hub = self.hub
        let meta = EventMeta.correlation(ctx.requestID)
        conversations.writeConversations({ store in
            try ConversationQueries.markRead(store, waID: waID, nowMs: MonotonicTime.wallMilliseconds())
        }, completion: { result in
            switch result {
            case .success(let rows) where rows.isEmpty:
                sink.fail(.notFound("no conversation with \(waID)"))
            case .success(let rows):
                for row in rows { hub.publish(topic: "inbox", type: "conversation.updated", data: row.json(), meta: meta) }
                sink.respond(.json(200, String(decoding: Self.pageJSON(rows.map { $0.json() }, next: nil), as: UTF8.self)))
            case .failure(let e):
                sink.fail(Self.storeError(e))
            }
        })
        return .deferred
    }

    // MARK: dead letters

    func deadLetters(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.ops]) { return .failure(e) }
        let includeReplayed = ctx.request.queryValue("include_replayed") == "true"
        let sink = ctx.sink
        inbox.listDeadLetters(includeReplayed: includeReplayed, limit: 500) { result in
            Self.answer(result.map { rows in
                Self.pageJSON(rows.map { r in
                    JSONWriter.encode(.object([
                        ("id", .number(String(r.id))), ("inbox_id", .number(String(r.inboxID))),
                        ("failed_at_ms", .number(String(r.failedAtMs))), ("error", r.error.map { .string($0) } ?? .null),
                        ("attempts", .number(String(r.attempts))),
                        ("replayed_at_ms", r.replayedAtMs.map { .number(String($0)) } ?? .null),
                    ]))
                }, next: nil)
            }, sink)
        }
        return .deferred
    }

    func replay(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.ops]) { return .failure(e) }
        guard let id = Int64(ctx.params["id"] ?? ""), id > 0 else { return .failure(.badRequest("id must be a positive integer")) }
        let sink = ctx.sink
        let processor = self.processor
        inbox.replayDeadLetter(id: id, nowMs: MonotonicTime.wallMilliseconds(), completion: { result in
            switch result {
            case .success(true):
                processor.notify()
                sink.respond(.json(202, #"{"status":"replaying","id":\#(id)}"#))
            case .success(false):
                sink.fail(.notFound("no dead letter \(id) waiting for replay"))
            case .failure(let e):
                sink.fail(Self.storeError(e))
            }
        })
        return .deferred
    }

    // MARK: helpers

    static func pageJSON(_ items: [[UInt8]], next: String?) -> [UInt8] {
        var out: [UInt8] = Array(#"{"items":["#.utf8)
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: item)
        }
        out.append(contentsOf: #"],"next_cursor":"#.utf8)
        if let next { JSONWriter.appendString(next, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func answer(_ result: Result<[UInt8], StoreError>, _ sink: ResponseSink) {
        switch result {
        case .success(let body):
            var h = HTTPHeaders()
            h.add("Content-Type", "application/json")
            sink.respond(HTTPResponse(status: 200, headers: h, body: body))
        case .failure(let e):
            sink.fail(storeError(e))
        }
    }

    static func storeError(_ e: StoreError) -> APIError { .storeFailure(code: e.code, message: e.message) }
}
