// Tunables of the hub: batching windows, history bounds, and the bounds that protect subscribers
// (per-connection buffer) and the server (outbound backlog, for admission).

public struct HubSettings: Sendable {
    /// Time window in ms; 0 = flush at the end of the publishing loop's turn.
    public var batchWindowMs: Int = 10
    public var batchMaxEvents: Int = 256
    public var batchMaxBytes: Int = 65536
    /// Outbound bytes a connection may have queued before it is closed as a slow consumer. Replayed
    /// history on subscribe counts against it too.
    public var maxConnectionBuffer: Int = 4 << 20
    /// Bytes queued to subscribers that are still reading, summed over all of them, above which
    /// external publishers are refused (`overloaded`) and internal ones wait. (They are also
    /// refused while too many reading subscribers are over an eighth of `maxConnectionBuffer`:
    /// see AdmissionPolicy.)
    public var maxBacklogBytes: Int = 64 << 20
    /// A subscriber whose queue has not moved for this long counts as stalled: its bytes do not
    /// count toward the backlog (it is a slow consumer, not a sign of overload).
    public var stallMs: Int64 = 1000
    public var history = HistoryLimits()
    /// Called with the number of events in each frame built (for the batch-size histogram).
    public var onFrameBuilt: (@Sendable (_ events: Int) -> Void)? = nil

    public init() {}
}
