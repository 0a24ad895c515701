// Connection state recovery's memory: sockets that dropped for a recoverable reason, kept for
// `maxDisconnectionDuration` and bounded in number (oldest first out), each restorable once.
import Hub

public struct SavedSocket: Sendable {
    public let sid: String
    public let pid: String
    public let patterns: [TopicPattern]
    public let trail: DeliveryTrail
    public internal(set) var savedAtMs: Int64 = 0

    public init(sid: String, pid: String, patterns: [TopicPattern], trail: DeliveryTrail) {
        self.sid = sid
        self.pid = pid
        self.patterns = patterns
        self.trail = trail
    }
}

/// Not thread-safe: the caller locks it.
public struct SavedSocketShelf: Sendable {
    private var byPid: [String: SavedSocket] = [:]
    /// Pids in the order saved (may still name pids already taken; skipped when met).
    private var order: [String] = []
    private var orderStart = 0

    public init() {}

    public var count: Int { byPid.count }

    /// Keeps `socket` from `nowMs`; drops the expired and, past `max`, the oldest.
    public mutating func insert(_ socket: SavedSocket, nowMs: Int64, ttlMs: Int64, max: Int) {
        var s = socket
        s.savedAtMs = nowMs
        byPid[s.pid] = s
        order.append(s.pid)
        while orderStart < order.count {
            let pid = order[orderStart]
            if let entry = byPid[pid] {
                guard nowMs - entry.savedAtMs > ttlMs || byPid.count > max else { break }
                byPid[pid] = nil
            }
            orderStart += 1
        }
        if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }

    /// The socket saved under `pid` if it has not expired; it is removed either way.
    public mutating func take(_ pid: String, nowMs: Int64, ttlMs: Int64) -> SavedSocket? {
        guard let s = byPid.removeValue(forKey: pid), nowMs - s.savedAtMs <= ttlMs else { return nil }
        return s
    }
}
