// The outbound sender's decisions, with no I/O: which due messages may go now (breaker, pacing,
// one in flight per recipient) and what a Graph answer means for a message (sent, retry when,
// failed why). Driven by instants passed in, so it is unit-tested with a hand-moved clock.
import JSON
import Resilience
import Store
import WhatsApp

/// What went wrong with a send, as stored in `outbox.last_error` and published in
/// `message.failed`: the Graph code when Graph gave one, our stable classification code, and
/// Graph's title and details (for the agent; never used for decisions).
struct SendErrorReport: Sendable, Equatable {
    var graphCode: Int?
    /// FailureClassifier's code: "graph.131047", "http.500", "transport", "timeout.after_send", ...
    var reason: String
    var title: String
    var details: String?
    var kind: FailureKind

    init(_ failure: SendFailure, _ classification: Classification) {
        kind = classification.kind
        reason = classification.code
        switch failure {
        case .http(let status, let code, _, let title, let details):
            graphCode = code
            self.title = classification.graphError?.title ?? title.map { FailureClassifier.sanitizedTitle($0) } ?? "HTTP \(status)"
            self.details = details.map { FailureClassifier.sanitizedTitle($0) }
        case .transport, .timeout:
            graphCode = nil
            title = classification.description
            details = nil
        }
    }

    init(graphCode: Int?, reason: String, title: String, details: String?, kind: FailureKind) {
        self.graphCode = graphCode
        self.reason = reason
        self.title = title
        self.details = details
        self.kind = kind
    }

    var jsonValue: JSONValue {
        .object([
            ("code", graphCode.map { .number(String($0)) } ?? .null),
            ("reason", .string(reason)),
            ("title", .string(title)),
            ("details", details.map { .string($0) } ?? .null),
            ("kind", .string(kind.rawValue)),
        ])
    }

    /// The text stored in `outbox.last_error`.
    var jsonText: String { String(decoding: JSONWriter.encode(jsonValue), as: UTF8.self) }

    /// The message row's `error_json`: an array of Graph-style error objects, as inbound
    /// `failed` statuses store them.
    var messageErrorsText: String {
        var error: [(String, JSONValue)] = [
            ("code", graphCode.map { .number(String($0)) } ?? .null),
            ("title", .string(title)),
        ]
        if let details { error.append(("error_data", .object([("details", .string(details))]))) }
        error.append(("reason", .string(reason)))
        return String(decoding: JSONWriter.encode(.array([.object(error)])), as: UTF8.self)
    }
}

extension FailureClassifier {
    /// Graph's own title/details, kept printable and at most 300 characters before they are
    /// stored or shown (control characters become "?").
    static func sanitizedTitle(_ s: String) -> String {
        var out = ""
        for (count, scalar) in s.unicodeScalars.enumerated() {
            if count >= 300 { out += "…"; break }
            let printable = scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80...0x9F).contains(scalar.value)
            out.unicodeScalars.append(printable ? scalar : "?")
        }
        return out
    }
}

/// The verdict on one finished send.
enum SendOutcome: Sendable, Equatable {
    case sent(wamid: String, attempts: Int)
    /// Try again after `after`; `attempts` made so far.
    case retry(attempts: Int, after: Nanoseconds, error: SendErrorReport)
    /// Final. `reason` is RetryDecision's give-up reason, or "retries_disabled".
    case failed(attempts: Int, reason: String, error: SendErrorReport, criticalAlert: Bool)
}

/// Which of the due rows go now, breaker transitions to publish, and when to look again if
/// something due had to wait (pacing, breaker).
struct SendSelection: Sendable {
    var rows: [OutboxRow] = []
    var transitions: [BreakerTransition] = []
    var lookAgainAfter: Nanoseconds?

    mutating func wait(_ span: Nanoseconds) {
        lookAgainAfter = min(lookAgainAfter ?? .max, span)
    }
}

/// Loop-confined state of the sender: the breaker of the Graph upstream, a throughput governor
/// per business phone number, the per-recipient pair pacer, and the jitter source.
struct SendPlanner {
    static let upstream = "graph"
    let settings: OutboundSettings
    let policy: BackoffPolicy
    private(set) var breaker: CircuitBreaker
    private(set) var pacer: PairPacer
    private var governors: [String: ThroughputGovernor] = [:]
    private var random: SeededRandom
    /// Recipients ("phone|wa_id") with a send in flight: never two at once to one recipient.
    private(set) var busyRecipients: Set<String> = []
    /// Pacing off (interval 0): no pair pacer at all.
    private let pairPacingOn: Bool

    init(settings: OutboundSettings, seed: UInt64) {
        let resilience = settings.resilience
        self.settings = settings
        policy = resilience.backoff
        breaker = CircuitBreaker(configuration: resilience.breaker)
        pairPacingOn = settings.pairIntervalMs > 0
        pacer = PairPacer(interval: max(resilience.pairInterval, 1), burst: settings.pairBurst)
        random = SeededRandom(seed: seed)
    }

    static func recipientKey(_ row: OutboxRow) -> String { row.phoneNumberID + "|" + row.toWaID }

    /// Picks, in the given order (oldest first), the rows that may be sent at `now`. Rows whose
    /// recipient already has a send in flight are skipped (order per recipient). Checks are made
    /// so that nothing is consumed for a row that then does not go: the breaker first (open →
    /// nothing goes; half-open → exactly one probe), then the phone number's rate, then the
    /// recipient's pair slot. `limit` bounds the selection (free in-flight slots).
    mutating func select(_ candidates: [OutboxRow], limit: Int, now: Instant) -> SendSelection {
        var selection = SendSelection()
        var seen = Set<String>()
        for row in candidates {
            if selection.rows.count >= limit { break }
            let key = Self.recipientKey(row)
            // A later row of a recipient already picked or in flight waits for that one.
            guard !busyRecipients.contains(key), seen.insert(key).inserted else { continue }
            if settings.breakerEnabled {
                let wait = breaker.timeUntilAllowed(now: now)
                if wait > 0 {
                    selection.wait(wait)
                    break
                }
            }
            var governor = governors[row.phoneNumberID]
                ?? ThroughputGovernor(nominalRate: settings.sendRatePerSecond, burst: max(1, settings.sendRatePerSecond), now: now)
            let rateWait = governor.timeUntilAvailable(now: now)
            if rateWait > 0 {
                governors[row.phoneNumberID] = governor
                selection.wait(rateWait)
                continue
            }
            if pairPacingOn && !pacer.tryTake(recipient: key, now: now) {
                // The pacer does not say when; its slots come at most one interval apart.
                selection.wait(min(pacer.interval, 200 * TimeSpan.nanosecondsPerMillisecond))
                continue
            }
            _ = governor.tryTake(now: now)
            governors[row.phoneNumberID] = governor
            var isProbe = false
            if settings.breakerEnabled {
                let wasHalfOpen = breaker.state == .halfOpen
                let (allowed, transition) = breaker.allowRequest(now: now)
                if let transition { selection.transitions.append(transition) }
                if !allowed { break }  // unreachable after timeUntilAllowed == 0, kept as a guard
                isProbe = breaker.state == .halfOpen || wasHalfOpen
            }
            busyRecipients.insert(key)
            selection.rows.append(row)
            if isProbe {
                // Half-open lets one probe through; the rest wait for its answer.
                break
            }
        }
        return selection
    }

    /// A send finished (its result is about to be written): the recipient may be picked again
    /// once that write has committed. Call `release` then.
    mutating func release(_ row: OutboxRow) {
        busyRecipients.remove(Self.recipientKey(row))
    }

    /// Turns a Graph answer into the message's next state, and feeds it to the breaker and the
    /// pacers. `attemptsBefore` is the row's attempt count before this send.
    ///
    /// A timeout after the request was sent is retried like any transient failure. The Graph
    /// API has no idempotency key, so if Graph had in fact accepted that request the customer
    /// gets the message twice: the one case in which a duplicate is possible.
    ///
    /// While the breaker is open (the upstream is down, not this message), a message whose
    /// attempts are spent is held for the breaker instead of failed, so an outage never fails
    /// messages: they wait in the outbox and go out in order after recovery.
    mutating func outcome(of result: GraphResult, row: OutboxRow, attemptsBefore: Int, now: Instant)
        -> (SendOutcome, BreakerTransition?)
    {
        let attempts = attemptsBefore < Int.max ? attemptsBefore + 1 : Int.max
        let key = Self.recipientKey(row)
        switch result {
        case .success(let wamid, _, _):
            let transition = settings.breakerEnabled ? breaker.recordSuccess(now: now) : nil
            pacer.recordAccepted(recipient: key)
            return (.sent(wamid: wamid, attempts: attempts), transition)
        case .failure(let failure, _, _):
            let classification = FailureClassifier.classify(failure)
            let report = SendErrorReport(failure, classification)
            let transition = settings.breakerEnabled ? breaker.record(classification.kind, now: now) : nil
            var minimumDelay: Nanoseconds = 0
            switch classification.scope {
            case .recipient:
                minimumDelay = pacer.recordPairRateLimit(recipient: key, now: now)
            case .phoneNumber:
                var governor = governors[row.phoneNumberID]
                    ?? ThroughputGovernor(nominalRate: settings.sendRatePerSecond, burst: max(1, settings.sendRatePerSecond), now: now)
                minimumDelay = governor.recordThrottled(now: now)
                governors[row.phoneNumberID] = governor
            case .message:
                break
            }
            if classification.kind == .transient && !settings.retriesEnabled {
                return (.failed(attempts: attempts, reason: "retries_disabled", error: report,
                                criticalAlert: classification.raisesCriticalAlert), transition)
            }
            let decision = RetryDecision.decide(classification, attempts: attempts, policy: policy,
                                                random: &random, minimumDelay: minimumDelay)
            switch decision.action {
            case .retry(let after):
                return (.retry(attempts: attempts, after: after, error: report), transition)
            case .fail(.attemptsExhausted) where settings.breakerEnabled && breaker.state != .closed:
                return (.retry(attempts: attempts, after: max(breaker.timeUntilAllowed(now: now), 1), error: report), transition)
            case .fail(let reason):
                return (.failed(attempts: attempts, reason: reason.rawValue, error: report,
                                criticalAlert: classification.raisesCriticalAlert), transition)
            }
        }
    }
}
