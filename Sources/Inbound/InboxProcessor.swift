// The inbox worker: takes committed webhook rows in arrival order, decodes them, applies them to
// the store and marks them done in the same transaction (so a crash never applies a row twice),
// then publishes the resulting events after the commit. Failures retry with backoff; after the
// last attempt a row moves to the dead-letter table and the alert rules are told at once (the
// `inbox.dead_letter` rule owns the alert, so it fires once and resolves when the letters are
// replayed). Every log line carries the webhook's correlation id.
//
// One worker thread processes rows in arrival order, which keeps every conversation's updates in
// order; the store has a single writer anyway, so parallel workers would only add contention.
import Conversations
import Foundation
import Hub
import JSON
import Lifecycle
import Logging
import Observability
import Reactor
import Resilience
import Store
import WhatsApp

public final class InboxProcessor: BackgroundService, @unchecked Sendable {
    public let serviceName = "inbox-processor"
    // Mutable state is guarded by `condition`; the worker thread owns everything else.
    private let writer: StoreWriter
    private let hub: any EventPublisher
    private let maxAttempts: Int
    private let logger: Logger
    private let metrics: SwitchboardMetrics?
    /// Called after a row moved to the dead-letter table (set once, before `start()`).
    public var onDeadLetter: (@Sendable () -> Void)?
    private let condition = NSCondition()
    /// Requests waiting for their row to be handled (SWITCHBOARD_ASYNC_WEBHOOKS=off), by inbox id;
    /// guarded by `condition`.
    private var waiters: [Int64: @Sendable () -> Void] = [:]
    private var pendingNotify = false
    private var stopped = false
    private var thread: Thread?
    private let done = NSCondition()
    private var finished = false
    /// Rows claimed per writer round trip. Small, because applying runs on the single writer
    /// thread and webhook appends (each waiting for its 200) queue behind it.
    static let batchSize = 32
    /// Retries of a row that failed to apply: 1 s, 2 s, 4 s ... up to 5 min, no jitter (one worker,
    /// nobody to spread out from), then the dead-letter table.
    private var retryPolicy: BackoffPolicy {
        BackoffPolicy(base: TimeSpan.nanosecondsPerSecond, cap: 300 * TimeSpan.nanosecondsPerSecond, maxAttempts: maxAttempts)
    }

    public init(writer: StoreWriter, hub: any EventPublisher, maxAttempts: Int, logger: Logger, metrics: SwitchboardMetrics? = nil) {
        self.metrics = metrics
        self.writer = writer
        self.hub = hub
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    public func start() {
        // Rows a crash left half-processed go back to pending; their transaction never committed.
        let now = MonotonicTime.wallMilliseconds()
        if let n = try? writer.submitAndWait({ db in try InboxStore.resetProcessingOnStartup(db, nowMs: now) }), n > 0 {
            logger.info("inbox rows resumed after restart", metadata: ["inbox.resumed": "\(n)"])
        }
        let t = Thread { [self] in run() }
        t.name = "inbox-worker"
        thread = t
        t.start()
    }

    /// A new row was committed (or a dead letter replayed): wake the worker.
    func notify() {
        condition.lock()
        pendingNotify = true
        condition.signal()
        condition.unlock()
    }

    /// Wakes the worker and calls `handled` once row `id` was processed (done, retried or dead):
    /// the synchronous webhook mode answers only then.
    func notify(waitingFor id: Int64, handled: @escaping @Sendable () -> Void) {
        condition.lock()
        waiters[id] = handled
        pendingNotify = true
        condition.signal()
        condition.unlock()
    }

    private func release(_ ids: [Int64]) {
        condition.lock()
        let ready = ids.compactMap { waiters.removeValue(forKey: $0) }
        condition.unlock()
        for w in ready { w() }
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        done.lock()
        while !finished && thread != nil { _ = done.wait(until: Date().addingTimeInterval(5)) ; break }
        done.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            if stopped { condition.unlock(); break }
            pendingNotify = false
            condition.unlock()

            let processed = processBatch()
            if processed == 0 {
                condition.lock()
                if !pendingNotify && !stopped {
                    // Retries come due without a notification: look again within a second.
                    _ = condition.wait(until: Date().addingTimeInterval(1))
                }
                condition.unlock()
            }
        }
        done.lock()
        finished = true
        done.signal()
        done.unlock()
    }

    enum Outcome: Sendable {
        case done(events: [DomainEvent], correlationID: String, inboxID: Int64)
        case retry(inboxID: Int64, error: String, correlationID: String)
        case dead(deadLetterID: Int64, inboxID: Int64, error: String, correlationID: String)
    }

    /// Claims, applies and publishes one batch; returns how many rows it handled.
    private func processBatch() -> Int {
        let now = MonotonicTime.wallMilliseconds()
        let rows: [InboxRow]
        do {
            rows = try writer.submitAndWait { db in try InboxStore.claimPending(db, limit: Self.batchSize, nowMs: now) }
        } catch {
            logger.error("inbox claim failed", metadata: ["error": "\(error)"])
            return 0
        }
        if rows.isEmpty { return 0 }
        let batchStart = MonotonicTime.nanoseconds()
        defer {
            metrics?.inboxProcessingDuration.recordNanoseconds(Int64(clamping: MonotonicTime.nanoseconds() &- batchStart))
            release(rows.map(\.id))
        }
        // Decoding needs no database: do it here, off the writer thread.
        let decoded: [(InboxRow, Result<WebhookPayload, DecodeFailure>)] = rows.map { row in
            do { return (row, .success(try WebhookDecoder.decode(row.body))) }
            catch let e as WebhookDecodeError { return (row, .failure(DecodeFailure(reason: "\(e.code): \(e.detail)"))) }
            catch { return (row, .failure(DecodeFailure(reason: "undecodable: \(type(of: error))"))) }
        }
        let retryPolicy = self.retryPolicy
        let outcomes: [Outcome]
        do {
            outcomes = try writer.submitAndWait { db -> [Outcome] in
                var out: [Outcome] = []
                let nowMs = MonotonicTime.wallMilliseconds()
                for (row, result) in decoded {
                    let correlation = row.correlationID ?? ""
                    switch result {
                    case .failure(let e):
                        // Not JSON (or not a webhook object): retrying cannot help.
                        let reason = e.reason
                        if let id = try InboxStore.moveToDeadLetter(db, id: row.id, error: reason, nowMs: nowMs) {
                            out.append(.dead(deadLetterID: id, inboxID: row.id, error: reason, correlationID: correlation))
                        }
                    case .success(let payload):
                        do {
                            let events = try db.transaction {
                                let events = try InboundApplier.apply(payload, db: db, nowMs: nowMs, correlationID: correlation)
                                _ = try InboxStore.markDone(db, id: row.id, nowMs: nowMs)
                                return events
                            }
                            out.append(.done(events: events, correlationID: correlation, inboxID: row.id))
                        } catch {
                            let reason = "apply failed: \(error)"
                            if retryPolicy.shouldGiveUp(afterAttempts: row.attempts + 1) {
                                if let id = try InboxStore.moveToDeadLetter(db, id: row.id, error: reason, nowMs: nowMs) {
                                    out.append(.dead(deadLetterID: id, inboxID: row.id, error: reason, correlationID: correlation))
                                }
                            } else {
                                let backoffMs = Int64(retryPolicy.delayBound(attempt: row.attempts + 1) / TimeSpan.nanosecondsPerMillisecond)
                                try InboxStore.markFailed(db, id: row.id, error: reason, retryAtMs: nowMs + backoffMs)
                                out.append(.retry(inboxID: row.id, error: reason, correlationID: correlation))
                            }
                        }
                    }
                }
                return out
            }
        } catch {
            // The whole group failed to commit: rows stay 'processing' until the next start-up
            // resets them; put them back now so they are retried in this run too.
            logger.error("inbox apply transaction failed", metadata: ["error": "\(error)"])
            _ = try? writer.submitAndWait { db in try InboxStore.resetProcessingOnStartup(db, nowMs: MonotonicTime.wallMilliseconds() + 1000) }
            return 0
        }
        // Committed: now, and only now, tell the subscribers. While they are behind, this thread
        // waits here, so the inbox (durable) holds the work instead of the hub's queues.
        hub.awaitCapacity()
        for outcome in outcomes {
            switch outcome {
            case let .done(events, correlationID, inboxID):
                let meta = EventMeta.correlation(correlationID)
                for e in events { hub.publish(topic: e.topic, type: e.type, data: e.data, meta: meta) }
                metrics?.inboxProcessed("done").increment()
                logger.info("webhook processed", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)", "webhook.events": "\(events.count)"])
            case let .retry(inboxID, error, correlationID):
                metrics?.inboxProcessed("retry").increment()
                logger.warning("webhook processing failed; will retry", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)", "error": "\(error)"])
            case let .dead(deadLetterID, inboxID, error, correlationID):
                metrics?.inboxProcessed("dead").increment()
                logger.error("webhook moved to dead letters", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)", "dead_letter.id": "\(deadLetterID)", "error": "\(error)"])
                onDeadLetter?()
            }
        }
        return rows.count
    }

    struct DecodeFailure: Error, Sendable { let reason: String }
}
