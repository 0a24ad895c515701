// The hub requests of one connection, checked against its token and carried out, whatever the
// wire protocol: /ws (HubClient) and Socket.IO (SocketIOSocket) only decode the request and
// encode the outcome. Call on the subscriber's loop.
import Hub

extension HubFanout {
    /// Admits `patterns` through the connection's gate, then subscribes: ack lines and replay.
    func subscribe(_ sub: HubSubscriber, gate: inout SubscriptionGate, patterns: [TopicPattern],
                   since: [String: StreamPosition]) -> Result<SubscribeResult, ClientRefusal> {
        if let refusal = gate.admit(patterns) { return .failure(refusal) }
        return .success(subscribe(sub, patterns: patterns, since: since))
    }

    func unsubscribe(_ sub: HubSubscriber, gate: inout SubscriptionGate, patterns: [TopicPattern]) {
        unsubscribe(sub, patterns: patterns)
        gate.release(patterns)
    }

    /// A socket publish (service role only; refused while the hub is overloaded): the event's seq.
    func publish(gate: SubscriptionGate, topic: String, type: String, data: [UInt8]) -> Result<Int64, ClientRefusal> {
        if let refusal = gate.publishRefusal { return .failure(refusal) }
        guard case .published(let seqs) = publish([OutgoingEvent(topic: topic, type: type, data: data)], as: .external),
              let seq = seqs.first else {
            return .failure(ClientRefusal(code: "overloaded", message: "the hub is overloaded; retry later"))
        }
        return .success(seq)
    }
}
