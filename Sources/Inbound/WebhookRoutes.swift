// The WhatsApp webhook endpoint: the GET verification handshake, and POST deliveries that are
// verified over their raw bytes, then committed to the inbox (group commit) before the 200.
import HTTP
import Logging
import Observability
import Reactor
import Server
import Store
import WhatsApp

/// What the webhook endpoint needs from the configuration.
public struct WebhookSettings: Sendable {
    /// SWITCHBOARD_WA_VERIFY_TOKEN: answers Meta's GET verification handshake.
    public var verifyToken: String?
    /// SWITCHBOARD_WA_APP_SECRET: key of X-Hub-Signature-256; unset refuses deliveries with 503.
    public var appSecret: String?
    public var maxBodyBytes: Int
    /// Off: answer 200 only after the row was processed (SWITCHBOARD_ASYNC_WEBHOOKS=off).
    public var asyncProcessing: Bool

    public init(verifyToken: String?, appSecret: String?, maxBodyBytes: Int, asyncProcessing: Bool) {
        self.verifyToken = verifyToken
        self.appSecret = appSecret
        self.maxBodyBytes = maxBodyBytes
        self.asyncProcessing = asyncProcessing
    }
}

public struct WebhookRoutes {
    let settings: WebhookSettings
    let writer: StoreWriter
    let processor: InboxProcessor
    let logger: Logger
    let metrics: SwitchboardMetrics
    /// Told about every delivery whose signature did not verify (the alert rules count them).
    let onSignatureFailure: @Sendable () -> Void
    /// Told about every delivery refused with 503 because the app secret is unset: the alert rules
    /// make that a warning of its own and keep those 503s out of the 5xx ratio.
    let onRefusedUnconfigured: @Sendable () -> Void

    public init(settings: WebhookSettings, writer: StoreWriter, processor: InboxProcessor, logger: Logger,
                metrics: SwitchboardMetrics, onSignatureFailure: @escaping @Sendable () -> Void,
                onRefusedUnconfigured: @escaping @Sendable () -> Void) {
        self.settings = settings
        self.writer = writer
        self.processor = processor
        self.logger = logger
        self.metrics = metrics
        self.onSignatureFailure = onSignatureFailure
        self.onRefusedUnconfigured = onRefusedUnconfigured
    }

    public func register(on server: Server) {
        server.addRoute(.get, "/webhooks/whatsapp") { ctx in self.verify(ctx) }
        server.addRoute(.post, "/webhooks/whatsapp") { ctx in self.receive(ctx) }
    }

    /// `hub.mode=subscribe&hub.verify_token=...&hub.challenge=...` → 200 with the bare challenge.
    func verify(_ ctx: RequestContext) -> RouteResult {
        let q = ctx.request
        if let expected = settings.verifyToken,
           let challenge = VerifyHandshake.check(mode: q.queryValue("hub.mode"), token: q.queryValue("hub.verify_token"),
                                                 challenge: q.queryValue("hub.challenge"), expected: expected) {
            return .response(.text(200, challenge))
        }
        return .failure(.forbidden("verification failed"))
    }

    func receive(_ ctx: RequestContext) -> RouteResult {
        metrics.webhooksReceived.increment()
        guard let secret = settings.appSecret else {
            metrics.webhookRejected("not_configured").increment()
            onRefusedUnconfigured()
            // Fail closed: without the app secret nothing can be verified, so nothing is stored.
            return .failure(APIError(status: 503, code: "webhook_not_configured", message: "SWITCHBOARD_WA_APP_SECRET is not set"))
        }
        let body = ctx.request.body
        guard body.count <= settings.maxBodyBytes else {
            metrics.webhookRejected("too_large").increment()
            return .failure(APIError(status: 413, code: "payload_too_large", message: "webhook bodies are limited to \(settings.maxBodyBytes) bytes"))
        }
        let header = ctx.request.headers[WebhookSignature.headerName]
        switch WebhookSignature.verify(body: body, header: header, appSecret: Array(secret.utf8)) {
        case .valid:
            metrics.webhooksVerified.increment()
        case .missing:
            metrics.webhookRejected("missing_signature").increment()
            onSignatureFailure()
            return .failure(APIError(status: 401, code: "missing_signature", message: "X-Hub-Signature-256 is required"))
        case .malformed, .mismatch:
            metrics.webhookRejected("invalid_signature").increment()
            onSignatureFailure()
            logger.warning("webhook signature rejected", metadata: ["correlation_id": "\(ctx.requestID)", "http.peer": "\(ctx.peer)"])
            return .failure(APIError(status: 401, code: "invalid_signature", message: "X-Hub-Signature-256 does not match the body"))
        }
        let correlationID = ctx.requestID
        let receivedAt = MonotonicTime.wallMilliseconds()
        let signature = header ?? ""
        let sink = ctx.sink
        let processor = self.processor
        let logger = self.logger
        let processBeforeAnswer = !settings.asyncProcessing
        writer.submit({ db in
            try InboxStore.append(db, body: body, signature: signature, correlationID: correlationID, receivedAtMs: receivedAt)
        }, completion: { result in
            switch result {
            case .success(let id):
                // Committed and fsync'd: only now may Meta hear 200 (in synchronous mode, only
                // once the worker has handled the row too).
                if processBeforeAnswer {
                    processor.notify(waitingFor: id) { sink.respond(.json(200, #"{"status":"ok"}"#)) }
                } else {
                    sink.respond(.json(200, #"{"status":"ok"}"#))
                    processor.notify()
                }
                logger.debug("webhook stored", metadata: ["correlation_id": "\(correlationID)", "webhook.id": "\(id)"])
            case .failure(let e):
                logger.error("webhook not stored", metadata: ["correlation_id": "\(correlationID)", "error": "\(e)"])
                sink.fail(APIError(status: 503, code: "store_unavailable", message: "the webhook could not be stored; retry later"))
            }
        })
        return .deferred
    }
}
