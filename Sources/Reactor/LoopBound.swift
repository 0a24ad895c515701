// A reference to a loop-confined object that may be carried across threads but is only
// dereferenced on its own loop: the safe way to post work back to a connection.

///
/// The weak reference lives in a shared box: copying a LoopBound (one per request, inside every
/// request context) is then a plain retain instead of a weak-reference copy through the
/// object's side table; keep one per object and copy it.
public struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    private let reference: WeakReference<Value>
    public let loop: EventLoop

    public init(_ value: Value, loop: EventLoop) {
        self.reference = WeakReference(value)
        self.loop = loop
    }

    /// Runs `body` with the object on its loop, if it still exists then.
    public func execute(_ body: @escaping (Value) -> Void) {
        let box = UncheckedBox(body)
        let me = self
        loop.execute {
            if let v = me.reference.value { box.value(v) }
        }
    }
}

/// Only read inside `loop.execute`, i.e. on the owning loop's thread.
private final class WeakReference<Value: AnyObject> {
    weak var value: Value?
    init(_ value: Value) { self.value = value }
}

/// Moves a non-Sendable value across a thread boundary when the code guarantees it is used on
/// one thread at a time (closures posted to their own loop).
public struct UncheckedBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
