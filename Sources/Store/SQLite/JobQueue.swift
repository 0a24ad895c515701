// A bounded, closable FIFO shared between submitting threads and the store's own threads.
import Foundation

/// Submitters never wait on it for long: the lock is held only to append or to take a batch,
/// never across SQLite work. Bounded so a stalled disk turns into "overloaded" answers rather
/// than unbounded memory.
final class JobQueue<Element>: @unchecked Sendable {  // all state guarded by `condition`
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    enum PushResult { case accepted, closed, full }

    func push(_ item: Element) -> PushResult {
        condition.lock()
        defer { condition.unlock() }
        if closed { return .closed }
        if items.count - head >= capacity { return .full }
        items.append(item)
        condition.signal()
        return .accepted
    }

    /// Blocks until at least one item is queued, then takes up to `limit` items in FIFO order.
    /// Returns an empty array only once the queue is closed and fully drained.
    func takeBatch(limit: Int) -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed {
            condition.wait()
        }
        let available = items.count - head
        let count = min(max(1, limit), available)
        guard count > 0 else { return [] }
        let batch = Array(items[head..<(head + count)])
        head += count
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }

    /// Refuses new items; items already queued are still handed out (drain, then stop).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }
}

/// Hands a connection to the one thread that will own it. Unchecked because `Database` is
/// deliberately not Sendable; after the hand-off only that thread touches it.
final class ConfinedConnection: @unchecked Sendable {
    let database: Database
    init(_ database: Database) { self.database = database }
}

/// Holds a result written on one thread and read on another after a semaphore hand-off
/// (the semaphore orders the write before the read).
final class ResultSlot<T>: @unchecked Sendable {
    var value: Result<T, StoreError>?
}

/// Submits through `submit` and blocks until the completion ran. Refuses with "misuse" on one of
/// the store's own threads (`latch`), where waiting for itself would deadlock.
func submitAndBlock<T: Sendable>(
    latch: ThreadExitLatch, threadName: String,
    _ submit: (@escaping @Sendable (Result<T, StoreError>) -> Void) -> Void
) throws -> T {
    if latch.isCurrentThreadTracked {
        throw StoreError(code: "misuse", message: "submitAndWait called on \(threadName)")
    }
    let slot = ResultSlot<T>()
    let done = DispatchSemaphore(value: 0)
    submit { result in
        slot.value = result
        done.signal()
    }
    done.wait()
    guard let result = slot.value else {
        throw StoreError(code: "misuse", message: "job finished without a result")
    }
    return try result.get()
}

/// Waits until a set of threads has exited.
final class ThreadExitLatch: @unchecked Sendable {  // guarded by `condition`
    private let condition = NSCondition()
    private var running: Int
    private var threads: [pthread_t] = []

    init(count: Int) { running = count }

    /// Called first thing on each tracked thread.
    func registerCurrentThread() {
        condition.lock()
        threads.append(pthread_self())
        condition.unlock()
    }

    /// True on one of the threads this latch tracks: such a thread must not wait for itself.
    var isCurrentThreadTracked: Bool {
        let current = pthread_self()
        condition.lock()
        defer { condition.unlock() }
        return threads.contains { pthread_equal($0, current) != 0 }
    }

    func exited() {
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForAll() {
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
