// The loop every background thread runs: do a round of work, then sleep until woken, until a
// deadline, or until asked to stop. Written once here instead of a Thread plus NSCondition loop in
// every service.
import Foundation

public final class WorkerThread: @unchecked Sendable {
    // `wakeRequested`, `stopping` and `exited` are guarded by `condition`.
    public let name: String
    private let condition = NSCondition()
    private var wakeRequested = false
    private var stopping = false
    private var exited = false
    private var thread: Thread?

    public init(name: String) {
        self.name = name
    }

    /// Runs `body` on a new thread. `body` runs rounds of work and calls `sleep(seconds:)` between
    /// them; it returns when `sleep` says the worker is stopping.
    public func start(_ body: @escaping @Sendable (WorkerThread) -> Void) {
        let t = Thread { [self] in
            body(self)
            condition.lock()
            exited = true
            condition.broadcast()
            condition.unlock()
        }
        t.name = name
        thread = t
        t.start()
    }

    /// Waits until `wake()`, `stop()` or `seconds` passed (nil: no time limit). Returns false when
    /// the worker should stop. A wake that came while the worker was busy is not lost: the next
    /// sleep returns at once.
    public func sleep(seconds: Double?) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !wakeRequested && !stopping {
            if let seconds {
                if seconds > 0 { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
            } else {
                while !wakeRequested && !stopping { condition.wait() }
            }
        }
        wakeRequested = false
        return !stopping
    }

    /// True once `stop()` was called.
    public var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Ends the current or next sleep early.
    public func wake() {
        condition.lock()
        wakeRequested = true
        condition.signal()
        condition.unlock()
    }

    /// Asks the loop to end and waits for its thread to exit, at most `timeoutSeconds`. Returns
    /// false when the deadline passed first (the thread is then left to finish on its own).
    @discardableResult
    public func stop(timeoutSeconds: Double = 10) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        guard thread != nil else { return true }
        let deadline = Date(timeIntervalSinceNow: timeoutSeconds)
        while !exited {
            if !condition.wait(until: deadline) { return exited }
        }
        return true
    }
}
