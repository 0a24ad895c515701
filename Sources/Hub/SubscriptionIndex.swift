// One loop's subscriptions: exact topic → subscribers, wildcard prefix → subscribers. Touched
// only by its owner (one reactor loop), except `mayHaveSubscribers` and `subscriptionCount`,
// racy-but-safe hints read by publishers to skip loops with nobody listening.
import Synchronization

public final class SubscriptionIndex<Subscriber>: @unchecked Sendable {
    // Owner-confined dictionaries; the atomic counter is the only cross-thread state.
    private var exact: [String: [ObjectIdentifier: Subscriber]] = [:]
    private var below: [String: [ObjectIdentifier: Subscriber]] = [:]
    private var all: [ObjectIdentifier: Subscriber] = [:]
    private var bySubscriber: [ObjectIdentifier: (subscriber: Subscriber, patterns: Set<TopicPattern>)] = [:]
    private let total = Atomic<Int>(0)

    /// Names a subscriber (its object identity; the owner's subscribers are class-bound
    /// existentials, which a generic `AnyObject` constraint does not accept).
    private let identity: (Subscriber) -> ObjectIdentifier

    public init(identity: @escaping (Subscriber) -> ObjectIdentifier) {
        self.identity = identity
    }

    /// False only when this index has no subscription at all. Safe from any thread; a
    /// subscription added concurrently is covered by its subscribe-time position.
    public func mayHaveSubscribers(_ topic: String) -> Bool {
        total.load(ordering: .relaxed) > 0
    }

    /// Subscriptions held (any thread; a hint).
    public var subscriptionCount: Int { total.load(ordering: .relaxed) }

    /// Every subscriber once, whatever it is subscribed to (owner only).
    public var subscribers: [Subscriber] { bySubscriber.values.map(\.subscriber) }

    @discardableResult
    public func add(_ sub: Subscriber, pattern: TopicPattern) -> Bool {
        let id = identity(sub)
        guard bySubscriber[id, default: (sub, [])].patterns.insert(pattern).inserted else { return false }
        switch pattern.kindKey {
        case .exact(let t): exact[t, default: [:]][id] = sub
        case .below(let p): below[p, default: [:]][id] = sub
        case .all: all[id] = sub
        }
        total.add(1, ordering: .relaxed)
        return true
    }

    @discardableResult
    public func remove(_ sub: Subscriber, pattern: TopicPattern) -> Bool {
        let id = identity(sub)
        guard bySubscriber[id]?.patterns.remove(pattern) != nil else { return false }
        if bySubscriber[id]?.patterns.isEmpty == true { bySubscriber[id] = nil }
        switch pattern.kindKey {
        case .exact(let t):
            exact[t]?[id] = nil
            if exact[t]?.isEmpty == true { exact[t] = nil }
        case .below(let p):
            below[p]?[id] = nil
            if below[p]?.isEmpty == true { below[p] = nil }
        case .all:
            all[id] = nil
        }
        total.subtract(1, ordering: .relaxed)
        return true
    }

    /// Drops every subscription of `sub`; returns how many there were.
    @discardableResult
    public func removeAll(_ sub: Subscriber) -> Int {
        guard let patterns = bySubscriber[identity(sub)]?.patterns else { return 0 }
        for p in patterns { remove(sub, pattern: p) }
        return patterns.count
    }

    /// Calls `body` once per subscriber whose patterns match `topic`, even if several match.
    public func forEachSubscriber(of topic: String, _ body: (Subscriber) -> Void) {
        let direct = exact[topic]
        var prefixes: [[ObjectIdentifier: Subscriber]] = []
        if !below.isEmpty {
            var prefix = ""
            for segment in topic.split(separator: ".", omittingEmptySubsequences: false).dropLast() {
                prefix += segment + "."
                if let subs = below[prefix] { prefixes.append(subs) }
            }
        }
        if !all.isEmpty { prefixes.append(all) }
        if prefixes.isEmpty {
            direct?.values.forEach(body)
            return
        }
        var seen = Set<ObjectIdentifier>()
        for list in [direct].compactMap({ $0 }) + prefixes {
            for (id, sub) in list where seen.insert(id).inserted { body(sub) }
        }
    }
}

extension TopicPattern {
    enum KindKey {
        case exact(String)
        case below(String)
        case all
    }

    var kindKey: KindKey {
        switch kind {
        case .exact(let t): return .exact(t)
        case .below(let p): return .below(p)
        case .all: return .all
        }
    }
}
