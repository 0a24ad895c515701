// Waiting for a store call from a thread that may block: workers, monitors, start-up, tests.
import Foundation

public enum StoreWait {
    /// Starts the call and blocks until its completion ran, or until `timeout` passed (then
    /// "timeout"; the call still finishes in the background and its result is dropped). A
    /// health check must not hang on the dependency it is checking, hence the bound.
    ///
    /// Never on a reactor thread, and never from a store completion (the store's own thread
    /// would wait for itself; without a timeout that is a deadlock).
    public static func result<T: Sendable>(
        timeout: Duration? = nil, _ start: (@escaping StoreCompletion<T>) -> Void
    ) throws -> T {
        let slot = Slot<T>()
        start { result in
            slot.condition.lock()
            slot.result = result
            slot.condition.signal()
            slot.condition.unlock()
        }
        let deadline = timeout.map { Date().addingTimeInterval(Self.seconds($0)) }
        slot.condition.lock()
        defer { slot.condition.unlock() }
        while slot.result == nil {
            if let deadline {
                if !slot.condition.wait(until: deadline) { break }
            } else {
                slot.condition.wait()
            }
        }
        guard let result = slot.result else {
            throw StoreError(code: "timeout", message: "the store did not answer in time")
        }
        return try result.get()
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private final class Slot<T: Sendable>: @unchecked Sendable {  // guarded by `condition`
        let condition = NSCondition()
        var result: Result<T, StoreError>?
    }
}
