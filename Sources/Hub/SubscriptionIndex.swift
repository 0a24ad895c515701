// One loop's subscriptions: exact topic → subscribers, wildcard prefix → subscribers. Touched
// only on its loop, except `mayHaveSubscribers`, a racy-but-safe hint read by publishers to skip
// loops with nobody listening.
import Synchronization

final class SubscriptionIndex: @unchecked Sendable {
    // Loop-confined dictionaries; the atomic counter is the only cross-thread state.
    private var exact: [String: [ObjectIdentifier: HubSubscriber]] = [:]
    private var below: [String: [ObjectIdentifier: HubSubscriber]] = [:]
    private var all: [ObjectIdentifier: HubSubscriber] = [:]
    private var bySubscriber: [ObjectIdentifier: Set<TopicPattern>] = [:]
    private let total = Atomic<Int>(0)

    /// False only when this loop has no subscription at all. Checked without the loop's thread;
    /// a subscription added concurrently is covered by the subscribe-time position (skipUpTo).
    func mayHaveSubscribers(_ topic: String) -> Bool {
        total.load(ordering: .relaxed) > 0
    }

    @discardableResult
    func add(_ sub: HubSubscriber, pattern: TopicPattern) -> Bool {
        let id = ObjectIdentifier(sub)
        guard bySubscriber[id, default: []].insert(pattern).inserted else { return false }
        switch pattern.kindKey {
        case .exact(let t): exact[t, default: [:]][id] = sub
        case .below(let p): below[p, default: [:]][id] = sub
        case .all: all[id] = sub
        }
        total.add(1, ordering: .relaxed)
        return true
    }

    @discardableResult
    func remove(_ sub: HubSubscriber, pattern: TopicPattern) -> Bool {
        let id = ObjectIdentifier(sub)
        guard bySubscriber[id]?.remove(pattern) != nil else { return false }
        if bySubscriber[id]?.isEmpty == true { bySubscriber[id] = nil }
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

    func removeAll(_ sub: HubSubscriber) -> Int {
        guard let patterns = bySubscriber[ObjectIdentifier(sub)] else { return 0 }
        for p in patterns { remove(sub, pattern: p) }
        return patterns.count
    }

    /// Calls `body` once per subscriber whose patterns match `topic`, even if several match.
    func forEachSubscriber(of topic: String, _ body: (HubSubscriber) -> Void) {
        let direct = exact[topic]
        var prefixes: [[ObjectIdentifier: HubSubscriber]] = []
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
