// The seam between the fan-out and a backplane (Redis, in the Cluster module): with one set,
// every publish goes to the backplane, which assigns seqs cluster-wide and announces events to
// every node; each node feeds them back here (`ingest`) and batches and delivers them on its own
// windows, encoding each frame once. Subscriptions first bring the local topic up to date with
// the backplane (`prepareSubscribe`), so `since` works on a node that never saw the events.
import Hub
import Reactor

public protocol HubBackplane: AnyObject, Sendable {
    /// Publishes `events` cluster-wide. With a completion (external publishers, who answer with
    /// seqs) the return value is ignored and the outcome comes later, on any thread; without one
    /// (internal publishers) it returns at once and never refuses: events wait while the
    /// backplane is down and are published, in order, when it returns.
    func publish(_ events: [OutgoingEvent], as kind: PublisherKind, completion: (@Sendable (PublishOutcome) -> Void)?) -> PublishOutcome

    /// Brings `topics` (and the `since` topics) up to the backplane's position and history, then
    /// calls `then` (on any thread).
    func prepareSubscribe(topics: [String], since: [String: StreamPosition], then: @escaping @Sendable () -> Void)
}

extension HubFanout {
    /// Publishes and reports the outcome through `completion` (on any thread; at once without a
    /// backplane). External publishers that answer with seqs use this.
    public func publish(_ events: [OutgoingEvent], as kind: PublisherKind, completion: @escaping @Sendable (PublishOutcome) -> Void) {
        if let backplane {
            _ = backplane.publish(events, as: kind, completion: completion)
        } else {
            completion(publish(events, as: kind))
        }
    }

    /// An event the backplane announced, with its cluster-wide seq.
    public func ingest(topic: String, epoch: String, event: EncodedEvent) -> IngestResult {
        let result = core.ingest(topic: topic, epoch: epoch, event: event, to: LoopSink(fanout: self))
        if case .appended(let flush?) = result { armFlush(topic, flush) }
        return result
    }

    /// See `HubCore.align`.
    public func align(topic: String, epoch: String, seq: Int64) {
        core.align(topic: topic, epoch: epoch, seq: seq, to: LoopSink(fanout: self))
    }
}
