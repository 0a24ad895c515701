// REST for sending: POST /api/messages (validated, committed to the outbox and the conversation
// before the 202), GET /api/messages/{id} (the outbox row's state) and
// POST /api/messages/{wamid}/read (a mark-as-read through the Graph client).
import Crypto
import HTTP
import Hub
import JSON
import Reactor
import Server
import Store
import WhatsApp

public struct OutboundRoutes {
    let reader: StoreReader
    let writer: StoreWriter
    let hub: any EventPublisher
    let auth: Authenticator
    /// nil when no access token is configured: sending is off (503).
    let sender: OutboundSender?
    let defaultPhoneNumberID: String?

    public init(reader: StoreReader, writer: StoreWriter, hub: any EventPublisher, auth: Authenticator, sender: OutboundSender?,
                defaultPhoneNumberID: String?) {
        self.reader = reader
        self.writer = writer
        self.hub = hub
        self.auth = auth
        self.sender = sender
        self.defaultPhoneNumberID = defaultPhoneNumberID
    }

    static let maxIdempotencyKeyBytes = 255

    public func register(on server: Server) {
        server.addRoute(.post, "/api/messages") { ctx in self.send(ctx) }
        server.addRoute(.get, "/api/messages/{id}") { ctx in self.show(ctx) }
        server.addRoute(.post, "/api/messages/{wamid}/read") { ctx in self.markRead(ctx) }
    }

    static let notConfigured = APIError(status: 503, code: "outbound_not_configured",
                                        message: "sending is off: SWITCHBOARD_WA_ACCESS_TOKEN is not set")

    // MARK: POST /api/messages

    func send(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.agent, .service]) { return .failure(e) }
        guard let sender else { return .failure(Self.notConfigured) }
        let request: OutboundRequest
        switch OutboundRequest.parse(body: ctx.request.body, defaultPhoneNumberID: defaultPhoneNumberID,
                                     idempotencyKey: ctx.request.headers["Idempotency-Key"]) {
        case .success(let r): request = r
        case .failure(let e): return .failure(e)
        }
        let message = NewOutboundMessage(
            id: "msg_" + SecureRandom.hexString(bytes: 12), toWaID: request.message.to, phoneNumberID: request.phoneNumberID,
            type: request.message.type.rawValue,
            contentJSON: String(decoding: JSONWriter.encode(request.message.content), as: UTF8.self),
            payloadJSON: String(decoding: request.message.graphBody(phoneNumberID: request.phoneNumberID), as: UTF8.self),
            preview: request.preview, idempotencyKey: request.idempotencyKey, correlationID: ctx.requestID)
        let sink = ctx.sink
        let hub = self.hub
        let meta = EventMeta.correlation(ctx.requestID)
        writer.submit({ db in
            try OutboxStore.enqueue(db, message, nowMs: MonotonicTime.wallMilliseconds())
        }, completion: { result in
            switch result {
            case .success(.created(let row)):
                // Committed: announce it, wake the sender, then answer.
                hub.publish(topic: OutboundEvents.conversationTopic(row.toWaID), type: "message.queued",
                            data: OutboundEvents.queued(row, contentJSON: message.contentJSON), meta: meta)
                sender.notify()
                sink.respond(Self.accepted(row, replayed: false))
            case .success(.existing(let row)):
                guard row.payloadJSON == message.payloadJSON else {
                    sink.fail(APIError(status: 422, code: "idempotency_key_reused",
                                       message: "Idempotency-Key was already used with a different message"))
                    return
                }
                sink.respond(Self.accepted(row, replayed: true))
            case .failure(let e):
                sink.fail(.storeFailure(code: e.code, message: e.message))
            }
        })
        return .deferred
    }

    /// The first answer, repeated for a replayed Idempotency-Key (same id, same status).
    static func accepted(_ row: OutboxRow, replayed: Bool) -> HTTPResponse {
        let body = JSONWriter.encode(.object([("id", .string(row.id)), ("status", .string("queued"))]))
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        if replayed { h.add("Idempotent-Replayed", "true") }
        return HTTPResponse(status: 202, headers: h, body: body)
    }

    // MARK: GET /api/messages/{id}

    func show(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.agent, .service, .ops]) { return .failure(e) }
        let id = ctx.params["id"] ?? ""
        guard !id.isEmpty, id.utf8.count <= 64 else { return .failure(.notFound("no message \(id)")) }
        let sink = ctx.sink
        reader.submit({ db in try OutboxStore.load(db, id: id) }, completion: { result in
            switch result {
            case .success(.some(let row)):
                var h = HTTPHeaders()
                h.add("Content-Type", "application/json")
                sink.respond(HTTPResponse(status: 200, headers: h, body: Self.stateJSON(row)))
            case .success(.none):
                sink.fail(.notFound("no message \(id)"))
            case .failure(let e):
                sink.fail(.storeFailure(code: e.code, message: e.message))
            }
        })
        return .deferred
    }

    /// 'sending' is internal (a row a crash left mid-send); callers see queued or retrying.
    static func publicStatus(_ row: OutboxRow) -> String {
        switch row.status {
        case "sending": return row.attempts == 0 ? "queued" : "retrying"
        default: return row.status
        }
    }

    static func stateJSON(_ row: OutboxRow) -> [UInt8] {
        var lastError: JSONValue = .null
        if let text = row.lastError { lastError = (try? JSONParser.parse(Array(text.utf8), maxDepth: 16)) ?? .string(text) }
        func text(_ s: String?) -> JSONValue { s.map { JSONValue.string($0) } ?? .null }
        func int(_ n: Int64?) -> JSONValue { n.map { JSONValue.number(String($0)) } ?? .null }
        var members: [(String, JSONValue)] = []
        members.append(("id", .string(row.id)))
        members.append(("status", .string(publicStatus(row))))
        members.append(("wamid", text(row.wamid)))
        members.append(("attempts", int(Int64(row.attempts))))
        members.append(("last_error", lastError))
        members.append(("to", .string(row.toWaID)))
        members.append(("type", text(row.type)))
        members.append(("phone_number_id", .string(row.phoneNumberID)))
        members.append(("delivery_status", text(row.deliveryStatus)))
        members.append(("message_id", int(row.messageID)))
        members.append(("conversation_id", int(row.conversationID)))
        members.append(("next_attempt_at", int(row.nextAttemptAtMs)))
        members.append(("created_at", int(row.createdAtMs)))
        members.append(("updated_at", int(row.updatedAtMs)))
        return JSONWriter.encode(.object(members))
    }

    // MARK: POST /api/messages/{wamid}/read

    func markRead(_ ctx: RequestContext) -> RouteResult {
        if let e = auth.authorize(ctx.request, roles: [.agent, .service]) { return .failure(e) }
        guard let sender else { return .failure(Self.notConfigured) }
        let wamid = ctx.params["wamid"] ?? ""
        guard wamid.hasPrefix("wamid."), wamid.utf8.count > 6, wamid.utf8.count <= 256 else {
            return .failure(APIError(status: 400, code: "invalid", message: "wamid: must be a WhatsApp message id starting with \"wamid.\""))
        }
        var phoneNumberID = defaultPhoneNumberID
        if !ctx.request.body.isEmpty {
            guard let json = try? JSONParser.parse(ctx.request.body, maxDepth: 8, maxBytes: 4096), json.objectValue != nil else {
                return .failure(APIError(status: 400, code: "wrong_type", message: "$: the body must be a JSON object (or empty)"))
            }
            switch OutboundRequest.phoneNumber(json["phone_number_id"], default: defaultPhoneNumberID) {
            case .success(let p): phoneNumberID = p
            case .failure(let e): return .failure(e)
            }
        }
        guard let phoneNumberID else {
            return .failure(APIError(status: 400, code: "missing", message: "phone_number_id is required (no SWITCHBOARD_WA_PHONE_NUMBER_ID is set)"))
        }
        switch sender.markRead(phoneNumberID: phoneNumberID, wamid: wamid, correlationID: ctx.requestID) {
        case .success: break
        case .failure(.breakerOpen):
            return .failure(APIError(status: 503, code: "graph_unavailable",
                                     message: "the Graph API is failing (circuit breaker open); retry later",
                                     headers: [("Retry-After", "\(max(1, Int(sender.settings.breakerOpenSeconds)))")]))
        case .failure(.busy):
            return .failure(APIError(status: 429, code: "overloaded", message: "too many read receipts waiting for the Graph API; retry later",
                                     headers: [("Retry-After", "1")]))
        }
        return .response(.json(202, #"{"wamid":"# + String(decoding: JSONWriter.encode(.string(wamid)), as: UTF8.self) + #","status":"read_requested"}"#))
    }
}

/// A parsed and validated `POST /api/messages`.
struct OutboundRequest: Sendable {
    let message: ValidatedMessage
    let phoneNumberID: String
    let idempotencyKey: String?
    let preview: String?

    static let maxBodyBytes = 256 * 1024

    /// 400 with the error envelope naming the field ("text.body: ...") for every malformed input.
    static func parse(body: [UInt8], defaultPhoneNumberID: String?, idempotencyKey rawKey: String?) -> Result<OutboundRequest, APIError> {
        var key: String?
        if let rawKey {
            let trimmed = rawKey.trimmingOptionalWhitespace()
            guard !trimmed.isEmpty, trimmed.utf8.count <= OutboundRoutes.maxIdempotencyKeyBytes,
                  trimmed.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else {
                return .failure(APIError(status: 400, code: "invalid",
                                         message: "Idempotency-Key: must be 1-\(OutboundRoutes.maxIdempotencyKeyBytes) visible ASCII characters"))
            }
            key = trimmed
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(body, maxDepth: 32, maxBytes: maxBodyBytes)
        } catch {
            return .failure(APIError(status: 400, code: "invalid_json", message: "$: the body is not valid JSON (\(error.code))"))
        }
        let message: ValidatedMessage
        switch OutboundRequestValidator.validate(json: json) {
        case .success(let m): message = m
        case .failure(let e):
            // The message starts with the field, which is also in the text e.message repeats.
            return .failure(APIError(status: 400, code: e.code, message: "\(e.field): \(e.message)"))
        }
        let phone: String
        switch phoneNumber(json["phone_number_id"], default: defaultPhoneNumberID) {
        case .success(.some(let p)): phone = p
        case .success(.none):
            return .failure(APIError(status: 400, code: "missing",
                                     message: "phone_number_id: is required (no SWITCHBOARD_WA_PHONE_NUMBER_ID is set)"))
        case .failure(let e): return .failure(e)
        }
        return .success(OutboundRequest(message: message, phoneNumberID: phone, idempotencyKey: key,
                                        preview: preview(message)))
    }

    static func phoneNumber(_ value: JSONValue?, default fallback: String?) -> Result<String?, APIError> {
        guard let value, value != .null else { return .success(fallback) }
        guard let s = value.stringValue else {
            return .failure(APIError(status: 400, code: "wrong_type", message: "phone_number_id: must be a string of digits"))
        }
        guard OutboundSettings.isPhoneNumberID(s) else {
            return .failure(APIError(status: 400, code: "invalid", message: "phone_number_id: must be 1-32 digits"))
        }
        return .success(s)
    }

    /// The one-line summary the inbox list shows for the conversation.
    static func preview(_ m: ValidatedMessage) -> String? {
        let text: String?
        switch m.type {
        case .text: text = m.content["body"]?.stringValue
        case .template: text = m.content["name"]?.stringValue.map { "[template] " + $0 }
        case .interactive: text = m.content["body"]?["text"]?.stringValue
        case .reaction: text = m.content["emoji"]?.stringValue
        case .image, .video, .audio, .document, .sticker:
            text = m.content["caption"]?.stringValue ?? "[\(m.type.rawValue)]"
        }
        guard let text else { return nil }
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}
