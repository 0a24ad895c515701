// A part of the server that runs in the background (a worker thread, a monitor, a client with its
// own thread). App starts them in dependency order and stops them in reverse, so nothing is asked
// to work after what it depends on has stopped.

public protocol BackgroundService: AnyObject, Sendable {
    /// Names the service in logs ("inbox-processor", "store-writer").
    var serviceName: String { get }
    /// Starts the service; returns once it is running. Throws when it cannot run at all.
    func start() throws
    /// Stops the service and returns once it has stopped (its thread has exited). Called at most
    /// once, and only after `start()` succeeded.
    func stop()
}

/// Services started in the order they were added and stopped in reverse.
public final class ServiceGroup: @unchecked Sendable {
    // Touched only by the thread that runs start-up and shutdown (the executable's main thread).
    private var services: [BackgroundService] = []
    private var started: [BackgroundService] = []

    public init() {}

    public func add(_ service: BackgroundService) {
        services.append(service)
    }

    public var names: [String] { services.map(\.serviceName) }

    /// Starts every service in order. When one fails, those already started are stopped in
    /// reverse before the error is rethrown, so a failed start leaves no thread behind.
    public func startAll(onStarted: (String) -> Void = { _ in }) throws {
        for s in services {
            do {
                try s.start()
            } catch {
                stopAll()
                throw error
            }
            started.append(s)
            onStarted(s.serviceName)
        }
    }

    /// Stops the started services in reverse start order.
    public func stopAll(onStopped: (String) -> Void = { _ in }) {
        while let s = started.popLast() {
            s.stop()
            onStopped(s.serviceName)
        }
    }
}

/// A service made of two closures, for parts whose start and stop are already methods of their
/// own type (the reactor's loops, the listener, the store's threads).
public final class ClosureService: BackgroundService, @unchecked Sendable {
    // Immutable after init.
    public let serviceName: String
    private let onStart: () throws -> Void
    private let onStop: () -> Void

    public init(_ name: String, start: @escaping () throws -> Void = {}, stop: @escaping () -> Void) {
        serviceName = name
        onStart = start
        onStop = stop
    }

    public func start() throws { try onStart() }
    public func stop() { onStop() }
}
