// What Ops needs from storage: a real write+read probe and the backlog figures that health
// checks, metrics and alert rules read.

/// Counters about the store's own write path, for health details and metrics.
public struct StoreStatistics: Sendable, Equatable {
    /// Durable commits so far (each one fsync for SQLite).
    public var commits: Int
    /// Writes in the last committed group.
    public var lastGroupSize: Int
    /// Writes waiting to be committed.
    public var queuedWrites: Int

    public init(commits: Int, lastGroupSize: Int, queuedWrites: Int) {
        self.commits = commits
        self.lastGroupSize = lastGroupSize
        self.queuedWrites = queuedWrites
    }
}

public protocol HealthStore: AnyObject, Sendable {
    /// Stores `value` where `readProbe` finds it: proves the store takes durable writes.
    func writeProbe(_ value: String, completion: @escaping StoreCompletion<Void>)

    func readProbe(completion: @escaping StoreCompletion<String?>)

    /// Inbox depth, the age of the oldest unprocessed row and the open dead letters, read together.
    func inboxBacklog(nowMs: Int64, completion: @escaping StoreCompletion<InboxBacklog>)

    func outboxDepth(nowMs: Int64, completion: @escaping StoreCompletion<OutboxDepth>)

    /// A snapshot, readable from any thread without waiting.
    var statistics: StoreStatistics { get }
}
