// The one path into the hub. Every publisher (POST /api/publish, WebSocket publish, the inbox,
// the outbound sender, health, alerts) goes through this protocol; the in-process hub implements
// it today, and a backplane (Redis) can implement it later without the publishers changing.

/// One event to publish. `data` and `meta` are each one valid JSON value, already encoded.
public struct OutgoingEvent: Sendable {
    public var topic: String
    public var type: String
    public var data: [UInt8]
    public var meta: [UInt8]?

    public init(topic: String, type: String, data: [UInt8], meta: [UInt8]? = nil) {
        self.topic = topic
        self.type = type
        self.data = data
        self.meta = meta
    }
}

/// Who is publishing decides what happens under overload.
public enum PublisherKind: Sendable {
    /// Clients over HTTP or WebSocket: refused with `overloaded` while the backlog is over its bound.
    case external
    /// The server's own producers (inbox, outbox, health, alerts): never refused. They wait for
    /// the backlog to drop with `awaitCapacity()` on their own threads before producing more
    /// (publishing itself never blocks: it may run on the store's writer thread).
    case `internal`
}

public enum PublishOutcome: Sendable, Equatable {
    /// The events' seqs, in order.
    case published([Int64])
    /// Nothing was published; try again after this many seconds.
    case overloaded(retryAfterSeconds: Int)
    /// Nothing was published: the cluster backplane is unreachable (external publishers only).
    case unavailable
}

public protocol EventPublisher: Sendable {
    /// Publishes all of `events` or (external publishers under overload) none of them. Never blocks.
    func publish(_ events: [OutgoingEvent], as kind: PublisherKind) -> PublishOutcome

    /// Blocks the calling thread while the hub is overloaded (bounded; returns at once on a
    /// reactor loop). Internal publishers call it on their own threads before producing more, so
    /// under overload they slow down instead of being refused.
    func awaitCapacity()
}

extension EventPublisher {
    /// An internal publisher's single event: never refused. Returns its seq.
    @discardableResult
    public func publish(topic: String, type: String, data: [UInt8], meta: [UInt8]? = nil) -> Int64 {
        guard case .published(let seqs) = publish([OutgoingEvent(topic: topic, type: type, data: data, meta: meta)], as: .internal),
              let seq = seqs.first else { return 0 }
        return seq
    }
}

/// Hub figures for health and metrics, whatever carries the events.
public protocol HubStatistics: Sendable {
    var topicCount: Int { get }
    var counters: HubCounters { get }
}

/// A cluster backplane behind the in-process fan-out (Server's HubFanout): every publish goes to
/// it, it assigns seqs cluster-wide and announces the events to every node.
public protocol HubBackplane: AnyObject, Sendable {
    /// False while the backplane is unreachable: the node refuses new WebSockets (503) and
    /// external publishes, so clients go to a node that can serve them.
    var isAvailable: Bool { get }

    /// Publishes `events` cluster-wide. With a completion (external publishers, who answer with
    /// seqs) the return value is ignored and the outcome comes later, on any thread; without one
    /// (internal publishers) it returns at once and never refuses: events wait while the
    /// backplane is down and are published, in order, when it returns.
    func publish(_ events: [OutgoingEvent], as kind: PublisherKind, completion: (@Sendable (PublishOutcome) -> Void)?) -> PublishOutcome

    /// Brings `topics` (and the `since` topics) up to the backplane's position and history, then
    /// calls `then` (on any thread).
    func prepareSubscribe(topics: [String], since: [String: StreamPosition], then: @escaping @Sendable () -> Void)
}
