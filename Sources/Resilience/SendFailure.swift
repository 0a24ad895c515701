// The vocabulary of a failed Graph API send: what happened, and what it means for retrying.

/// What went wrong with one send attempt, as the sender observed it.
public enum SendFailure: Sendable, Hashable {
    /// No HTTP answer: connect error, connection reset, DNS failure, TLS failure. The string is
    /// the transport's own message (e.g. libcurl's), never request data.
    case transport(String)
    /// No complete answer in time. `afterRequestSent` says whether the request had been fully
    /// written: if so, Graph may have accepted the message even though we never heard back.
    case timeout(afterRequestSent: Bool)
    /// Graph answered with an error body (or at least a non-2xx status). `graphCode` is
    /// `error.code`, `subcode` the deprecated `error.error_subcode`, `title` `error.message` and
    /// `details` `error.error_data.details`. Only `graphCode` and `status` drive decisions.
    case http(status: Int, graphCode: Int?, subcode: Int?, title: String?, details: String?)
}

public enum FailureKind: String, Sendable, Hashable {
    /// The same request may succeed later: retry with backoff.
    case transient
    /// Retrying the same request cannot help: fail the message and tell the agent.
    case permanent
}

/// What a failure should slow down or stop, besides the message itself.
public enum FailureScope: String, Sendable, Hashable {
    /// Only this message is affected.
    case message
    /// The (business number, recipient) pair is rate-limited (131056): delay this recipient,
    /// keep sending to everyone else.
    case recipient
    /// The sending phone number, WABA or app is throttled (130429, 80007, 4, 80008, ...): slow
    /// the whole send queue of this phone number.
    case phoneNumber = "phone_number"
}

/// The classifier's verdict on one failure.
public struct Classification: Sendable, Hashable {
    public let kind: FailureKind
    public let scope: FailureScope
    /// True for operator problems that no retry fixes and that stop every later send too
    /// (expired token, locked account, ...): publish an alert, do not just fail the message.
    public let raisesCriticalAlert: Bool
    /// Stable machine code for logs, metrics and `message.failed` events: `transport`,
    /// `timeout.before_send`, `timeout.after_send`, `graph.<code>` or `http.<status>`.
    public let code: String
    /// A one-line explanation built only from our own table and numbers, never from
    /// response text, so it is safe to show agents and to log (no tokens, no user data).
    public let description: String
    /// The documented entry when the Graph code is known.
    public let graphError: GraphErrorInfo?
    /// A tighter attempt limit than the policy's, when Meta's strategy asks for one.
    public let attemptLimit: Int?
    /// True when the message may already have been delivered (timeout after the request was
    /// sent): a retry can then produce a duplicate, because Graph has no idempotency key.
    public let mayHaveBeenDelivered: Bool

    public init(
        kind: FailureKind, scope: FailureScope, raisesCriticalAlert: Bool, code: String,
        description: String, graphError: GraphErrorInfo? = nil, attemptLimit: Int? = nil,
        mayHaveBeenDelivered: Bool = false
    ) {
        self.kind = kind
        self.scope = scope
        self.raisesCriticalAlert = raisesCriticalAlert
        self.code = code
        self.description = description
        self.graphError = graphError
        self.attemptLimit = attemptLimit
        self.mayHaveBeenDelivered = mayHaveBeenDelivered
    }
}
