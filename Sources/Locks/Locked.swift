// A value behind a pthread mutex, with the same `withLock` shape as the standard library's Mutex.
//
// Why not `Synchronization.Mutex`: on Linux it parks on a futex directly, which ThreadSanitizer
// does not model, so every value it guards is reported as a data race and `make tsan` could not
// tell real races from these. pthread_mutex_lock/unlock are intercepted by TSan; uncontended they
// cost about the same (one atomic each way).
@preconcurrency import Glibc

public final class Locked<Value>: @unchecked Sendable {
    // `value` is only touched between lock and unlock of `mutex`. Inlinable so that hot callers
    // in other modules (the loop's inbox, metrics) get a specialized, inlined body.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. Give it a value with storage: with
    /// `Locked<Void>` ThreadSanitizer reports the empty access as a race with the mutex pointer. Never call it again from inside `body`
    /// (the mutex is not recursive).
    @inlinable
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
