// A growable ring buffer of events: O(1) append and drop-oldest for topic history.

struct EventRing: Sendable {
    private var storage: [EncodedEvent?] = []
    private var head = 0
    private(set) var count = 0

    var first: EncodedEvent? { count == 0 ? nil : storage[head] }

    /// `index` counts from the oldest event; callers keep it below `count`.
    subscript(index: Int) -> EncodedEvent {
        // Every slot in head..<head+count holds an event.
        storage[(head + index) % storage.count]!
    }

    mutating func append(_ event: EncodedEvent) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = event
        count += 1
    }

    mutating func removeFirst() {
        guard count > 0 else { return }
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
    }

    private mutating func grow() {
        var bigger = [EncodedEvent?](repeating: nil, count: max(16, storage.count * 2))
        for i in 0..<count { bigger[i] = storage[(head + i) % storage.count] }
        storage = bigger
        head = 0
    }
}
