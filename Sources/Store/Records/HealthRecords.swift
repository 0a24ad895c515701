// Figures the health checks and alert rules read from the store.

public struct OutboxDepth: Sendable, Equatable {
    /// Rows still to be sent: queued, retrying or sending.
    public let active: Int
    public let failed: Int
    /// Age of the oldest active row, nil when there is none.
    public let oldestActiveAgeMs: Int64?
    /// Rows per status (queued, retrying, sending, sent, failed), for the ops console; a status
    /// with no rows is absent.
    public let byStatus: [String: Int]

    public init(active: Int, failed: Int, oldestActiveAgeMs: Int64?, byStatus: [String: Int] = [:]) {
        self.active = active
        self.failed = failed
        self.oldestActiveAgeMs = oldestActiveAgeMs
        self.byStatus = byStatus
    }
}

/// The inbox figures health checks and the alert rules read, in one snapshot.
public struct InboxBacklog: Sendable, Equatable {
    public var depth: InboxDepth
    /// Age of the oldest row not yet done (pending or processing), nil when there is none:
    /// the "is processing keeping up" signal. Never negative (a clock going backwards gives 0).
    public var oldestUnprocessedAgeMs: Int64?
    /// Dead letters that have not been replayed.
    public var openDeadLetters: Int

    public init(depth: InboxDepth, oldestUnprocessedAgeMs: Int64?, openDeadLetters: Int) {
        self.depth = depth
        self.oldestUnprocessedAgeMs = oldestUnprocessedAgeMs
        self.openDeadLetters = openDeadLetters
    }
}

extension OutboxDepth {
    /// From the outbox's rows counted per status and the creation time of the oldest
    /// unfinished row (both stores count the same way).
    static func from(statusCounts: [(status: String, count: Int)], oldestActiveCreatedAtMs: Int64?, nowMs: Int64) -> OutboxDepth {
        var active = 0
        var failed = 0
        var byStatus: [String: Int] = [:]
        for (status, n) in statusCounts {
            byStatus[status, default: 0] += n
            switch status {
            case "queued", "retrying", "sending": active += n
            case "failed": failed += n
            default: break
            }
        }
        return OutboxDepth(active: active, failed: failed, oldestActiveAgeMs: oldestActiveCreatedAtMs.map { max(0, nowMs &- $0) },
                           byStatus: byStatus)
    }
}
