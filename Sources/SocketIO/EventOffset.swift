// The offset a Socket.IO event carries as its last argument (connection state recovery): which
// hub event it is, `<seq>-<epoch>-<topic>`. It depends on the event only, so an encoded packet is
// the same bytes for every subscriber; a reconnecting client sends back the last one it saw.
import Hub

public struct EventOffset: Sendable, Equatable {
    public var topic: String
    public var epoch: String
    public var seq: Int64

    public init(topic: String, epoch: String, seq: Int64) {
        self.topic = topic
        self.epoch = epoch
        self.seq = seq
    }

    public var text: String { "\(seq)-\(epoch)-\(topic)" }

    /// Nil for anything this server did not write (the client may send any string).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].utf8.count <= 19, let seq = Int64(parts[0]), seq >= 0,
              !parts[1].isEmpty, parts[1].utf8.count <= ProtocolCodec.maxEpochBytes,
              TopicName.isValid(String(parts[2])) else { return nil }
        self.init(topic: String(parts[2]), epoch: String(parts[1]), seq: seq)
    }
}
