// The seam between the fan-out and a backplane (Redis, in the Cluster module): with one set,
// every publish goes to the backplane, which assigns seqs cluster-wide and announces events to
// every node; each node feeds them back here (`ingest`) and batches and delivers them on its own
// windows, encoding each frame once. Subscriptions first bring the local topic up to date with
// the backplane (`prepareSubscribe`), so `since` works on a node that never saw the events.
// The protocol itself (HubBackplane) is in Hub, so a backplane module needs only Hub.
import Hub
import Reactor

extension HubFanout {
    /// Publishes and reports the outcome through `completion` (on any thread; at once without a
    /// backplane). External publishers that answer with seqs use this.
    public func publish(_ events: [OutgoingEvent], as kind: PublisherKind, completion: @escaping @Sendable (PublishOutcome) -> Void) {
        if let backplane {
            // This node's subscribers being behind refuses external publishes here as alone.
            if kind == .external, isOverloaded {
                counters.publishesRefused.add(1, ordering: .relaxed)
                completion(.overloaded(retryAfterSeconds: admission.retryAfterSeconds))
                return
            }
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

extension HubFanout {
    /// The topic's epoch and last seq held here (nil: not known on this node).
    public func localPosition(of topic: String) -> StreamPosition? { core.localPosition(of: topic) }
}
