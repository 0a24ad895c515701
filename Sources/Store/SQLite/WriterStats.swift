// Counters the writer keeps for metrics: how well group commit is working and what it costs.

public struct WriterStats: Sendable, Equatable {
    /// Successful COMMITs (each is one fsync under synchronous=FULL).
    public var commits = 0
    /// Jobs whose completion has been called, successful or not.
    public var jobs = 0
    /// Jobs answered with an error (their own, or their group's).
    public var failedJobs = 0
    /// Groups whose COMMIT (or BEGIN) failed, failing every job in them.
    public var failedGroups = 0
    public var lastGroupSize = 0
    public var largestGroupSize = 0
    /// Time spent in the COMMIT statement itself: the fsync cost.
    public var lastCommitDuration: Duration = .zero
    public var totalCommitDuration: Duration = .zero
    /// BEGIN to COMMIT, jobs included.
    public var lastGroupDuration: Duration = .zero

    public init() {}
}
