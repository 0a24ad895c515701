// Internal events waiting for Redis, in publish order, sent one batch at a time. A batch whose
// script call failed may or may not have run in Redis (the connection can drop after the script
// ran and before its reply arrived), so it is resent as it was, under the same batch id: the
// publish script remembers the last batch id of each node with its seqs and answers a repeat
// from that record instead of appending and announcing the events a second time. One batch in
// flight per node is what lets Redis keep just one record per node.
import Hub

struct HeldEvents {
    struct Batch {
        let id: String
        let events: [OutgoingEvent]
    }

    private var waiting: [OutgoingEvent] = []
    /// Sent, no reply yet.
    private(set) var inFlight: Batch?
    /// Failed: goes out again, unchanged, before anything newer.
    private var inDoubt: Batch?

    var isEmpty: Bool { waiting.isEmpty && inFlight == nil && inDoubt == nil }
    var count: Int { waiting.count + (inFlight?.events.count ?? 0) + (inDoubt?.events.count ?? 0) }

    mutating func append(_ events: [OutgoingEvent]) {
        waiting.append(contentsOf: events)
    }

    /// The batch to send now, or nil while one is in flight or nothing waits. `newID` names a
    /// batch made of newly waiting events; a batch in doubt keeps its id.
    mutating func next(maxBatch: Int, newID: () -> String) -> Batch? {
        guard inFlight == nil else { return nil }
        if let again = inDoubt {
            inDoubt = nil
            inFlight = again
            return again
        }
        guard !waiting.isEmpty else { return nil }
        let chunk = Array(waiting.prefix(max(1, maxBatch)))
        waiting.removeFirst(chunk.count)
        let batch = Batch(id: newID(), events: chunk)
        inFlight = batch
        return batch
    }

    /// The batch in flight got its seqs.
    mutating func succeeded() {
        inFlight = nil
    }

    /// The batch in flight got no answer: it may have run, so it is resent under its id.
    mutating func failed() {
        guard let batch = inFlight else { return }
        inFlight = nil
        inDoubt = batch
    }
}
