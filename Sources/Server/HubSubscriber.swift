// The hub side of one WebSocket connection, as the fan-out sees it. Loop-confined.
import Hub
import Reactor

public protocol HubSubscriber: AnyObject {
    var loop: EventLoop { get }
    var queuedBytes: Int { get }
    /// Bytes written to the socket so far (monotonic): a queue that stops moving means a reader
    /// that stopped reading.
    var bytesWritten: Int { get }
    /// Per concrete topic: frames of this epoch whose last seq is at or below this are already
    /// delivered. The epoch matters because an idle topic can be dropped and start again.
    var skipUpTo: [String: StreamPosition] { get set }
    func sendFrame(_ frame: SharedBytes)
    /// Over its buffer bound: close with 4008.
    func closeSlowConsumer()
    /// Which compressed form of a hub frame this subscriber gets (nil: the plain one).
    var outboundDeflate: OutboundDeflate? { get }
}

extension HubSubscriber {
    public var outboundDeflate: OutboundDeflate? { nil }
}
