// Events sequenced elsewhere: with a backplane (Redis) every node receives every event with its
// topic's epoch and seq already assigned, and feeds them here. The core keeps them in order, drops
// duplicates, and reports a hole (a missed announcement) instead of delivering past it, so the
// caller refills from the backplane's history first. Batching, history and delivery are then the
// same as for local publishes.

public enum IngestResult: Sendable, Equatable {
    /// Accepted; arm this flush when non-nil (as for `publish`).
    case appended(flush: FlushRequest?)
    /// At or below what the topic already holds: dropped.
    case duplicate
    /// Events after `after` are missing: fetch them and ingest them first (nothing was accepted).
    case hole(after: Int64)
}

extension HubCore {
    /// One event of `topic` in `epoch`. A topic this node has not seen starts at the event; a new
    /// epoch (the backplane lost the topic's history) flushes what is pending of the old one and
    /// starts again at the event.
    public func ingest(topic: String, epoch: String, event: EncodedEvent, to sink: some FrameSink) -> IngestResult {
        let now = nowMs()
        let result: IngestResult = shard(topic).withLock { topics in
            let state: TopicState
            if let existing = topics[topic] {
                state = existing
                if state.log.epoch != epoch {
                    restartLocked(state, epoch: epoch, after: event.seq - 1, to: sink)
                } else if event.seq <= state.log.currentSeq {
                    return .duplicate
                } else if event.seq > state.log.currentSeq + 1 {
                    return .hole(after: state.log.currentSeq)
                }
            } else {
                state = TopicState(topic: topic, limits: settings.history, nowMs: now)
                state.log = TopicLog(limits: settings.history, epoch: epoch, after: event.seq - 1)
                state.pending = BatchAccumulator(topic: topic, epoch: epoch)
                state.flushedSeq = event.seq - 1
                topics[topic] = state
            }
            state.log.appendAssigned(event, nowMs: now)
            return .appended(flush: enqueueLocked(event, in: state, nowMs: now, to: sink))
        }
        if case .appended = result { counters.eventsPublished.add(1, ordering: .relaxed) }
        return result
    }

    /// Aligns a topic with the backplane's position when nothing newer will be ingested for it
    /// (a subscribe found the topic there without events this node lacks): a topic unknown here
    /// or in another epoch starts at `seq` in `epoch`. Returns false when the topic already
    /// matches (or is ahead).
    @discardableResult
    public func align(topic: String, epoch: String, seq: Int64, to sink: some FrameSink) -> Bool {
        let now = nowMs()
        return shard(topic).withLock { topics in
            if let state = topics[topic] {
                if state.log.epoch == epoch && state.log.currentSeq >= seq { return false }
                restartLocked(state, epoch: epoch, after: seq, to: sink)
                return true
            }
            let state = TopicState(topic: topic, limits: settings.history, nowMs: now)
            state.log = TopicLog(limits: settings.history, epoch: epoch, after: seq)
            state.pending = BatchAccumulator(topic: topic, epoch: epoch)
            state.flushedSeq = seq
            topics[topic] = state
            return true
        }
    }

    /// The topic's local position (epoch and last seq held), for asking the backplane what is newer.
    public func localPosition(of topic: String) -> StreamPosition? {
        shard(topic).withLock { topics in topics[topic].map { StreamPosition(epoch: $0.log.epoch, seq: $0.log.currentSeq) } }
    }

    private func restartLocked(_ state: TopicState, epoch: String, after seq: Int64, to sink: some FrameSink) {
        flushLocked(state, to: sink)
        state.log = TopicLog(limits: settings.history, epoch: epoch, after: seq)
        state.pending = BatchAccumulator(topic: state.topic, epoch: epoch)
        state.flushedSeq = seq
    }
}
