// Runs a store job and waits for it at most a given time: a health check must not hang on
// the dependency it is checking.
import Foundation
import Store

enum BoundedWait {
    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "timed out" }
    }

    final class Slot<T: Sendable>: @unchecked Sendable {  // guarded by `condition`
        let condition = NSCondition()
        var result: Result<T, any Error>?
    }

    static func write<T: Sendable>(_ writer: StoreWriter, timeoutMs: Int, _ job: @escaping @Sendable (Database) throws -> T) throws -> T {
        let slot = Slot<T>()
        writer.submit(job) { r in
            slot.condition.lock(); slot.result = r.mapError { $0 as any Error }; slot.condition.signal(); slot.condition.unlock()
        }
        return try wait(slot, timeoutMs: timeoutMs)
    }

    static func read<T: Sendable>(_ reader: StoreReader, timeoutMs: Int, _ job: @escaping @Sendable (Database) throws -> T) throws -> T {
        let slot = Slot<T>()
        reader.submit(job) { r in
            slot.condition.lock(); slot.result = r.mapError { $0 as any Error }; slot.condition.signal(); slot.condition.unlock()
        }
        return try wait(slot, timeoutMs: timeoutMs)
    }

    private static func wait<T>(_ slot: Slot<T>, timeoutMs: Int) throws -> T {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        slot.condition.lock()
        defer { slot.condition.unlock() }
        while slot.result == nil {
            if !slot.condition.wait(until: deadline) { break }
        }
        guard let r = slot.result else { throw TimedOut() }
        return try r.get()
    }
}
