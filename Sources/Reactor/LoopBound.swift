// A reference to a loop-confined object that may be carried across threads but is only
// dereferenced on its own loop: the safe way to post work back to a connection.

public struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    // Only read inside `loop.execute`, i.e. on the owning loop's thread.
    private weak var value: Value?
    public let loop: EventLoop

    public init(_ value: Value, loop: EventLoop) {
        self.value = value
        self.loop = loop
    }

    /// Runs `body` with the object on its loop, if it still exists then.
    public func execute(_ body: @escaping (Value) -> Void) {
        let box = UncheckedBox(body)
        let me = self
        loop.execute {
            if let v = me.value { box.value(v) }
        }
    }
}

/// Moves a non-Sendable value across a thread boundary when the code guarantees it is used on
/// one thread at a time (closures posted to their own loop).
public struct UncheckedBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
