// What one Socket.IO socket has been sent, per topic, so a reconnect with an offset resumes
// exactly after the last event the client saw: frames reach a socket in order, so the positions
// as of the frame holding that event are the current positions with every later frame undone.
// Frames still buffered or in flight when the connection dropped are therefore sent again.
import Hub

public struct DeliveryTrail: Sendable {
    /// Last position sent per concrete topic (from subscribe acks and delivered frames).
    public private(set) var positions: [String: StreamPosition] = [:]
    private struct Step: Sendable {
        let topic: String
        let epoch: String
        let firstSeq: Int64
        let lastSeq: Int64
        let before: StreamPosition?
    }
    /// The latest frames, oldest first, bounded.
    private var steps: [Step] = []
    public let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// A subscription was positioned (ack): nothing before `position` is owed for `topic`.
    public mutating func positioned(_ topic: String, at position: StreamPosition) {
        positions[topic] = position
    }

    public mutating func forget(_ topic: String) {
        positions[topic] = nil
    }

    public mutating func delivered(topic: String, epoch: String, firstSeq: Int64, lastSeq: Int64) {
        steps.append(Step(topic: topic, epoch: epoch, firstSeq: firstSeq, lastSeq: lastSeq, before: positions[topic]))
        if steps.count > capacity { steps.removeFirst(steps.count - capacity) }
        positions[topic] = StreamPosition(epoch: epoch, seq: lastSeq)
    }

    /// The positions the client had reached when it received the event at `offset`; nil when
    /// that event is not among the frames remembered (too old, or never sent here).
    public func positions(asOf offset: EventOffset) -> [String: StreamPosition]? {
        var result = positions
        for step in steps.reversed() {
            if step.topic == offset.topic, step.epoch == offset.epoch, step.firstSeq <= offset.seq, offset.seq <= step.lastSeq {
                result[offset.topic] = StreamPosition(epoch: offset.epoch, seq: offset.seq)
                return result
            }
            result[step.topic] = step.before
        }
        return nil
    }
}
