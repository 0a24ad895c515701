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
    // Fixed after init except `onDeadLetter` (set before `start()`); the worker thread owns the rest.
    private let store: any InboxStore
    private let hub: any EventPublisher
    private let maxAttempts: Int
    private let logger: Logger
    private let metrics: SwitchboardMetrics?
    /// Called after a row moved to the dead-letter table (set once, before `start()`).
    public var onDeadLetter: (@Sendable () -> Void)?
    private let worker = WorkerThread(name: "inbox-worker")
    /// Rows claimed per store round trip: the store's choice (see `InboxStore.claimBatchLimit`).
    private var batchSize: Int { max(1, store.claimBatchLimit) }
    /// Retries of a row that failed to apply: 1 s, 2 s, 4 s ... up to 5 min, no jitter (one worker,
    /// nobody to spread out from), then the dead-letter table.
    private var retryPolicy: BackoffPolicy { Self.retryPolicy(maxAttempts: maxAttempts) }

    static func retryPolicy(maxAttempts: Int) -> BackoffPolicy {
        BackoffPolicy(base: TimeSpan.nanosecondsPerSecond, cap: 300 * TimeSpan.nanosecondsPerSecond, maxAttempts: maxAttempts)
    }

    public init(store: any InboxStore, hub: any EventPublisher, maxAttempts: Int, logger: Logger, metrics: SwitchboardMetrics? = nil) {
        self.metrics = metrics
        self.store = store
        self.hub = hub
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    public func start() {
        // Rows a crash left half-processed go back to pending; their transaction never committed.
        let now = MonotonicTime.wallMilliseconds()
        if let n = try? StoreWait.result({ store.resetProcessing(nowMs: now, completion: $0) }), n > 0 {
            logger.info("inbox rows resumed after restart", metadata: ["inbox.resumed": "\(n)"])
        }
        worker.start { [self] w in run(w) }
    }

    /// A new row was committed (or a dead letter replayed): wake the worker.
    func notify() {
        worker.wake()
    }

    /// Lets the batch in hand finish (its rows commit or stay claimed for the next start), then
    /// waits for the thread.
    public func stop() {
        worker.stop()
    }

    /// Batches back to back while there is work; when a claim comes back empty, sleeps until a
    /// webhook is committed (`notify`) or a second passed (retries come due without a notify).
    private func run(_ w: WorkerThread) {
        var idle = false
        while w.sleep(seconds: idle ? 1 : 0) {
            idle = processBatch() == 0
        }
    }

    /// Claims, applies and publishes one batch; returns how many rows it handled.
    private func processBatch() -> Int {
        publishLeftovers()
        let now = MonotonicTime.wallMilliseconds()
        let store = self.store, limit = batchSize
        let rows: [InboxRow]
        do {
            rows = try StoreWait.result { store.claimPending(limit: limit, nowMs: now, completion: $0) }
        } catch {
            logger.error("inbox claim failed", metadata: ["error": "\(error)"])
            return 0
        }
        if rows.isEmpty { return 0 }
        let batchStart = MonotonicTime.nanoseconds()
        defer {
            metrics?.inboxProcessingDuration.recordNanoseconds(Int64(clamping: MonotonicTime.nanoseconds() &- batchStart))
            // After publishing: a synchronous webhook's 200 means its events are out.
            store.releaseHandled(rows.map(\.id))
        }
        // Decoding needs no database: do it here, off the store's writer.
        let decoded: [Int64: Result<WebhookPayload, DecodeFailure>] = Dictionary(uniqueKeysWithValues: rows.map { row in
            do { return (row.id, .success(try WebhookDecoder.decode(row.body))) }
            catch let e as WebhookDecodeError { return (row.id, .failure(DecodeFailure(reason: "\(e.code): \(e.detail)"))) }
            catch { return (row.id, .failure(DecodeFailure(reason: "undecodable: \(type(of: error))"))) }
        })
        let retryPolicy = self.retryPolicy
        let applyAt = MonotonicTime.wallMilliseconds()
        let results: [InboxResult<[DomainEvent]>]
        do {
            results = try StoreWait.result { completion in
                store.process(rows, nowMs: applyAt, apply: { row, conversations in
                    switch decoded[row.id] {
                    case .success(let payload)?:
                        let events = try InboundApplier.apply(payload, in: conversations, nowMs: applyAt,
                                                              correlationID: row.correlationID ?? "")
                        // A shared store keeps them with the row until published (at least once).
                        try (conversations as? PublicationJournaling)?.journal(inboxID: row.id, events: events.map {
                            JournaledEvent(topic: $0.topic, type: $0.type, data: $0.data, correlationID: $0.correlationID)
                        })
                        return events
                    case .failure(let failure)?:
                        throw failure
                    case nil:
                        throw DecodeFailure(reason: "row was not part of the claimed batch")
                    }
                }, onFailure: { row, error in
                    Self.failurePlan(row: row, error: error, policy: retryPolicy, nowMs: applyAt)
                }, completion: completion)
            }
        } catch {
            // The whole group failed to commit: rows stay 'processing' until the next start-up
            // resets them; put them back now so they are retried in this run too.
            logger.error("inbox apply transaction failed", metadata: ["error": "\(error)"])
            let retryAt = MonotonicTime.wallMilliseconds() + 1000
            _ = try? StoreWait.result { store.resetProcessing(nowMs: retryAt, completion: $0) }
            return 0
        }
        // Committed: now, and only now, tell the subscribers. While they are behind, this thread
        // waits here, so the inbox (durable) holds the work instead of the hub's queues.
        hub.awaitCapacity()
        publish(results)
        return rows.count
    }

    /// Events a node applied and committed but died before publishing (shared stores only):
    /// published now, before newer rows, then confirmed. At least once: a node that was only
    /// paused may publish them too.
    private func publishLeftovers() {
        let limit = batchSize
        guard let journal = store as? PublicationJournal,
              let pending = try? StoreWait.result({ journal.unpublished(limit: limit, completion: $0) }),
              !pending.isEmpty else { return }
        hub.awaitCapacity()
        for publication in pending {
            for e in publication.events {
                hub.publish(topic: e.topic, type: e.type, data: e.data, meta: EventMeta.correlation(e.correlationID))
            }
        }
        logger.info("published events left unpublished by a node that stopped", metadata: [
            "inbox.rows": "\(pending.count)", "events": "\(pending.reduce(0) { $0 + $1.events.count })"])
        store.releaseHandled(pending.map(\.inboxID))
    }

    /// Not JSON (or not a webhook object): retrying cannot help. Anything else is retried with
    /// backoff until the last attempt.
    static func failurePlan(row: InboxRow, error: any Error, policy: BackoffPolicy, nowMs: Int64) -> InboxFailurePlan {
        if let decode = error as? DecodeFailure { return .deadLetter(reason: decode.reason) }
        let reason = "apply failed: \(error)"
        if policy.shouldGiveUp(afterAttempts: row.attempts + 1) { return .deadLetter(reason: reason) }
        let backoffMs = Int64(policy.delayBound(attempt: row.attempts + 1) / TimeSpan.nanosecondsPerMillisecond)
        return .retry(atMs: nowMs + backoffMs, reason: reason)
    }

    private func publish(_ results: [InboxResult<[DomainEvent]>]) {
        for result in results {
            let correlationID = result.row.correlationID ?? ""
            let inboxID = result.row.id
            switch result.outcome {
            case .done(let events):
                let meta = EventMeta.correlation(correlationID)
                for e in events { hub.publish(topic: e.topic, type: e.type, data: e.data, meta: meta) }
                metrics?.inboxProcessed("done").increment()
                logger.info("webhook processed", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)", "webhook.events": "\(events.count)"])
            case .retrying(_, let error):
                metrics?.inboxProcessed("retry").increment()
                logger.warning("webhook processing failed; will retry", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)", "error": "\(error)"])
            case .deadLettered(let deadLetterID, let error):
                metrics?.inboxProcessed("dead").increment()
                logger.error("webhook moved to dead letters", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)", "dead_letter.id": "\(deadLetterID)", "error": "\(error)"])
                onDeadLetter?()
            case .skipped:
                logger.warning("webhook row was no longer claimed; left as stored", metadata: [
                    "correlation_id": "\(correlationID)", "webhook.id": "\(inboxID)"])
            }
        }
    }

    struct DecodeFailure: Error, Sendable { let reason: String }
}
