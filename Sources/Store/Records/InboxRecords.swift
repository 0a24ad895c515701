// The inbox's records as every store implementation returns them: a stored webhook delivery, a
// dead letter, and the backlog figures health checks read.

/// One stored webhook delivery.
public struct InboxRow: Sendable, Equatable {
    public let id: Int64
    public let receivedAtMs: Int64
    /// Exactly the bytes received, so the HMAC can be re-verified and nothing is lost in decoding.
    public let body: [UInt8]
    public let signature: String?
    public let correlationID: String?
    public let status: String
    public let attempts: Int
    public let nextAttemptAtMs: Int64
    public let lastError: String?

    public init(id: Int64, receivedAtMs: Int64, body: [UInt8], signature: String?, correlationID: String?, status: String, attempts: Int, nextAttemptAtMs: Int64, lastError: String?) {
        self.id = id
        self.receivedAtMs = receivedAtMs
        self.body = body
        self.signature = signature
        self.correlationID = correlationID
        self.status = status
        self.attempts = attempts
        self.nextAttemptAtMs = nextAttemptAtMs
        self.lastError = lastError
    }
}

public struct DeadLetterRow: Sendable, Equatable {
    public let id: Int64
    public let inboxID: Int64
    public let failedAtMs: Int64
    public let error: String?
    public let attempts: Int
    public let replayedAtMs: Int64?

    public init(id: Int64, inboxID: Int64, failedAtMs: Int64, error: String?, attempts: Int, replayedAtMs: Int64?) {
        self.id = id
        self.inboxID = inboxID
        self.failedAtMs = failedAtMs
        self.error = error
        self.attempts = attempts
        self.replayedAtMs = replayedAtMs
    }
}

/// How much inbox work is waiting, for health checks and alert rules.
public struct InboxDepth: Sendable, Equatable {
    public let pending: Int
    public let processing: Int
    public let dead: Int

    public init(pending: Int, processing: Int, dead: Int) {
        self.pending = pending
        self.processing = processing
        self.dead = dead
    }
}
