// The outbound sender: one thread that takes due outbox rows (the oldest unfinished message of
// each recipient), lets SendPlanner apply the breaker and pacing, hands them to the GraphClient,
// and writes each result to the outbox, publishing events only after the commit.
//
// Duplicates: the Graph API has no idempotency key. A request that timed out after it was sent
// (or a crash between Graph's answer and our commit of the wamid) may have been accepted, and is
// sent again: the customer can then get that one message twice. Every other path sends a message
// at most once; a row with a stored wamid is never sent again.
import Foundation
import Hub
import Lifecycle
import Logging
import Reactor
import Resilience
import Store
import Synchronization
import WhatsApp
import Conversations

public final class OutboundSender: BackgroundService, @unchecked Sendable {
    public let serviceName = "outbound-sender"
    // @unchecked Sendable: `planner` and `clock` are touched only by the sender thread;
    // `finished`, `inFlight`, `released`, `wakeRequested`, `stopping`, `threadDone` and
    // `breakerSnapshot` only under `condition`.
    let settings: OutboundSettings
    let graph: GraphClient
    private let store: any OutboxStore
    private let hub: any EventPublisher
    private let logger: Logger
    private let clock = MonotonicClock()
    private var planner: SendPlanner
    private let condition = NSCondition()
    private var finished: [(OutboxRow, GraphResult)] = []
    /// Outbox ids sent and not yet written back: the store still shows them due.
    private var inFlight: Set<String> = []
    /// Rows whose result write committed: their recipients may be picked again.
    private var released: [OutboxRow] = []
    private var wakeRequested = false
    private var breakerSnapshot = BreakerState.closed
    private var stopping = false
    private var thread: Thread?
    private var threadDone = false
    /// Sends handed to Graph at once (GraphClient runs up to 64 transfers; more wait in its queue).
    static let maxInFlight = 256

    public init(settings: OutboundSettings, store: any OutboxStore, hub: any EventPublisher, logger: Logger) {
        self.settings = settings
        self.store = store
        self.hub = hub
        self.logger = logger
        graph = GraphClient(
            baseURL: settings.graphBaseURL, apiVersion: settings.graphAPIVersion, accessToken: settings.accessToken ?? "",
            connectTimeoutMs: settings.graphConnectTimeoutMs, totalTimeoutMs: settings.graphTimeoutMs, maxConcurrent: 64)
        var seed = SystemRandomNumberGenerator()
        planner = SendPlanner(settings: settings, seed: seed.next())
    }

    /// Resumes what a crash or stop left behind, then starts the thread.
    public func start() {
        let nowMs = MonotonicTime.wallMilliseconds()
        do {
            let store = self.store
            let resumed = try StoreWait.result { store.resumeOnStartup(nowMs: nowMs, completion: $0) }
            if resumed.resent > 0 || resumed.closedAsSent > 0 {
                logger.info("outbox resumed after restart", metadata: [
                    "outbox.resent": "\(resumed.resent)", "outbox.closed_as_sent": "\(resumed.closedAsSent)"])
            }
        } catch {
            logger.error("outbox resume failed", metadata: ["error": "\(error)"])
        }
        let t = Thread { [self] in run() }
        t.name = "outbound-sender"
        thread = t
        t.start()
    }

    /// Health and metrics hooks; set before `start()`, called on the sender thread.
    public var observer: OutboundObserver?

    /// The Graph breaker's state as of its last transition, for health checks and metrics
    /// (any thread): "closed", "open" or "half_open".
    public var breakerState: BreakerState {
        condition.lock()
        defer { condition.unlock() }
        return breakerSnapshot
    }

    /// Something was enqueued: look for due rows now.
    func notify() {
        condition.lock()
        wakeRequested = true
        condition.signal()
        condition.unlock()
    }

    /// Stops taking rows, lets the Graph client finish (in-flight calls end as transient
    /// failures and are written back as retries), then waits for the thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        graph.shutdown()
        condition.lock()
        let deadline = Date().addingTimeInterval(5)
        while thread != nil && !threadDone && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// Why a mark-as-read was not handed to the Graph client.
    public enum MarkReadRefusal: Error, Sendable {
        /// The breaker is open: Graph is failing, so this call would only add to it.
        case breakerOpen
        /// `maxMarkReadsInFlight` are already waiting for Graph.
        case busy
    }

    /// Read receipts waiting for Graph at once; past this the route answers 429 instead of
    /// growing the Graph client's queue without bound.
    static let maxMarkReadsInFlight = 1024
    private let markReadsInFlight = Atomic<Int>(0)

    /// Mark-as-read: fire and forget once accepted; failures are logged. Refused (nothing
    /// queued) while the breaker is open or too many are in flight.
    func markRead(phoneNumberID: String, wamid: String, correlationID: String) -> Result<Void, MarkReadRefusal> {
        if settings.breakerEnabled && breakerState == .open { return .failure(.breakerOpen) }
        let inFlight = markReadsInFlight.add(1, ordering: .relaxed).newValue
        guard inFlight <= Self.maxMarkReadsInFlight else {
            markReadsInFlight.subtract(1, ordering: .relaxed)
            return .failure(.busy)
        }
        let logger = self.logger
        graph.markRead(phoneNumberID: phoneNumberID, wamid: wamid, correlationID: correlationID) { [self] result in
            markReadsInFlight.subtract(1, ordering: .relaxed)
            if case .failure(let failure, _, _) = result {
                let c = FailureClassifier.classify(failure)
                logger.warning("mark-as-read failed", metadata: [
                    "correlation_id": "\(correlationID)", "wamid": "\(wamid)", "error": "\(c.code)", "detail": "\(c.description)"])
            }
        }
        return .success(())
    }

    // MARK: the sender thread

    private func run() {
        while true {
            // Subscribers behind: send (and so publish) no more until they catch up; the outbox holds the rest.
            hub.awaitCapacity()
            condition.lock()
            if stopping && inFlight.isEmpty && finished.isEmpty {
                threadDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let results = finished
            finished = []
            let releasedRows = released
            released = []
            let inFlightNow = inFlight
            wakeRequested = false
            let isStopping = stopping
            condition.unlock()

            for row in releasedRows { planner.release(row) }
            for (row, result) in results {
                if isStopping, case .failure(.transport(let message), _, _) = result, message.hasPrefix("client_shutdown") {
                    // Shutdown cut the call short: not the upstream's failure, and not an
                    // attempt. The row stays as stored and is sent after the restart. (Any
                    // real answer that came in, a wamid above all, is still written.)
                    written(row)
                } else {
                    handle(result, for: row)
                }
            }

            var lookAgain: Nanoseconds = TimeSpan.nanosecondsPerSecond
            var sentSome = false
            if !isStopping && inFlightNow.count < Self.maxInFlight {
                let free = Self.maxInFlight - inFlightNow.count
                let nowMs = MonotonicTime.wallMilliseconds()
                do {
                    let store = self.store
                    let due = try StoreWait.result {
                        store.dueHeads(nowMs: nowMs, limit: free + inFlightNow.count + 256, completion: $0)
                    }
                    let nextDue = due.nextDueAtMs
                    let candidates = due.rows.filter { !inFlightNow.contains($0.id) }
                    let selection = planner.select(candidates, limit: free, now: clock.now)
                    publish(selection.transitions)
                    for row in selection.rows { send(row) }
                    sentSome = !selection.rows.isEmpty
                    if let wait = selection.lookAgainAfter { lookAgain = min(lookAgain, max(wait, TimeSpan.nanosecondsPerMillisecond)) }
                    if let nextDue, nextDue > nowMs {
                        lookAgain = min(lookAgain, TimeSpan.milliseconds(UInt64(nextDue - nowMs)))
                    }
                } catch {
                    logger.error("outbox query failed", metadata: ["error": "\(error)"])
                }
            }
            if sentSome { continue }
            condition.lock()
            if !wakeRequested && finished.isEmpty && released.isEmpty && !(stopping && inFlight.isEmpty) {
                _ = condition.wait(until: Date().addingTimeInterval(TimeSpan.asSeconds(lookAgain)))
            }
            condition.unlock()
        }
    }

    private func send(_ row: OutboxRow) {
        condition.lock()
        inFlight.insert(row.id)
        condition.unlock()
        graph.send(phoneNumberID: row.phoneNumberID, body: Array(row.payloadJSON.utf8),
                   correlationID: row.correlationID ?? row.id) { [self] result in
            condition.lock()
            finished.append((row, result))
            condition.signal()
            condition.unlock()
        }
    }

    /// Decides, writes, and (after the commit) publishes and frees the recipient.
    private func handle(_ result: GraphResult, for row: OutboxRow) {
        let now = clock.now
        let (outcome, transition) = planner.outcome(of: result, row: row, attemptsBefore: row.attempts, now: now)
        if let observer {
            observer.graphResult(result)
            switch outcome {
            case .sent: observer.outcome("sent")
            case .retry: observer.outcome("retried")
            case .failed: observer.outcome("failed")
            }
        }
        if let transition { publish([transition]) }
        let nowMs = MonotonicTime.wallMilliseconds()
        let hub = self.hub
        let logger = self.logger
        let meta = EventMeta.correlation(row.correlationID ?? "")
        let logMeta: Logger.Metadata = ["correlation_id": "\(row.correlationID ?? "")", "outbox.id": "\(row.id)", "to": "\(row.toWaID)"]
        switch outcome {
        case .sent(let wamid, let attempts):
            let applyEarlierStatuses = row.messageID.map(Self.applyRecordedStatuses(messageID:))
            store.markSent(id: row.id, wamid: wamid, attempts: attempts, nowMs: nowMs,
                           inSameTransaction: applyEarlierStatuses, completion: { [self] r in
                if case .success(true) = r {
                    hub.publish(topic: OutboundEvents.conversationTopic(row.toWaID), type: "message.sent",
                                data: OutboundEvents.sent(row, wamid: wamid, attempts: attempts, sentAtMs: nowMs), meta: meta)
                    logger.info("message sent", metadata: logMeta.merging(["wamid": "\(wamid)", "attempts": "\(attempts)",
                        "latency_ms": "\(Int(result.latencyMs))"]) { a, _ in a })
                } else if case .failure(let e) = r {
                    logger.error("could not store a sent message's wamid; it may be sent again", metadata: logMeta.merging(["error": "\(e)"]) { a, _ in a })
                }
                written(row)
            })
        case .retry(let attempts, let after, let error):
            let afterMs = Int64(clamping: (after / TimeSpan.nanosecondsPerMillisecond) + 1)
            let (nextAt, overflow) = nowMs.addingReportingOverflow(afterMs)
            store.markRetrying(id: row.id, attempts: attempts, nextAttemptAtMs: overflow ? .max : nextAt,
                               lastError: error.jsonText, nowMs: nowMs, completion: { [self] r in
                logger.warning("message send failed; will retry", metadata: logMeta.merging([
                    "attempts": "\(attempts)", "error": "\(error.reason)", "retry_in_ms": "\(afterMs)",
                    "stored": "\((try? r.get()) ?? false)"]) { a, _ in a })
                written(row)
            })
        case .failed(let attempts, let reason, let error, let critical):
            store.markFailed(id: row.id, attempts: attempts, lastError: error.jsonText,
                             errorJSON: error.messageErrorsText, nowMs: nowMs, completion: { [self] r in
                if case .success(true) = r {
                    hub.publish(topic: OutboundEvents.conversationTopic(row.toWaID), type: "message.failed",
                                data: OutboundEvents.failed(row, attempts: attempts, reason: reason, error: error), meta: meta)
                }
                if critical {
                    hub.publish(topic: OutboundEvents.alertsTopic, type: "alert.firing",
                                data: OutboundEvents.criticalAlert(row, error: error, nowMs: nowMs), meta: meta)
                }
                logger.error("message failed", metadata: logMeta.merging([
                    "attempts": "\(attempts)", "error": "\(error.reason)", "reason": "\(reason)", "critical": "\(critical)"]) { a, _ in a })
                written(row)
            })
        }
    }

    /// Statuses whose webhook beat Graph's answer apply once the wamid is stored, in the same
    /// transaction.
    private static func applyRecordedStatuses(messageID: Int64) -> @Sendable (any ConversationTransaction) throws -> Void {
        { conversations in _ = try InboundApplier.applyRecordedStatuses(in: conversations, messageID: messageID) }
    }

    /// The result is committed (or the write failed and the row stays due): the row may be
    /// picked again and its recipient's next message may go.
    private func written(_ row: OutboxRow) {
        condition.lock()
        inFlight.remove(row.id)
        released.append(row)
        condition.signal()
        condition.unlock()
    }

    private func publish(_ transitions: [BreakerTransition]) {
        guard !transitions.isEmpty else { return }
        let now = clock.now
        let nowMs = MonotonicTime.wallMilliseconds()
        func wallMs(_ until: Instant?) -> Int64? {
            until.map { until -> Int64 in
                let (sum, overflow) = nowMs.addingReportingOverflow(Int64(clamping: until.nanoseconds(since: now) / TimeSpan.nanosecondsPerMillisecond))
                return overflow ? .max : sum
            }
        }
        if let last = transitions.last {
            condition.lock()
            breakerSnapshot = last.to
            condition.unlock()
            observer?.breaker(last.to, wallMs(last.openUntil))
        }
        for t in transitions {
            let untilMs = wallMs(t.openUntil)
            hub.publish(topic: OutboundEvents.healthTopic, type: "breaker.state_changed",
                        data: OutboundEvents.breakerChanged(t, openUntilWallMs: untilMs), meta: nil)
            let level: Logger.Level = t.to == .open ? .error : .notice
            logger.log(level: level, "circuit breaker \(t.from.name) -> \(t.to.name)", metadata: [
                "upstream": "\(SendPlanner.upstream)", "reason": "\(t.reason.rawValue)", "trip_count": "\(t.tripCount)"])
        }
    }
}

/// What the sender reports to health checks and metrics, without knowing either.
public struct OutboundObserver: Sendable {
    let graphResult: @Sendable (GraphResult) -> Void
    let outcome: @Sendable (String) -> Void
    /// The new state and, when open, the wall-clock ms at which it lets a probe through.
    let breaker: @Sendable (BreakerState, _ openUntilWallMs: Int64?) -> Void

    public init(graphResult: @escaping @Sendable (GraphResult) -> Void, outcome: @escaping @Sendable (String) -> Void,
                breaker: @escaping @Sendable (BreakerState, _ openUntilWallMs: Int64?) -> Void) {
        self.graphResult = graphResult
        self.outcome = outcome
        self.breaker = breaker
    }
}
