// N event loops, one pthread each. Connections are spread across loops by the kernel
// (one SO_REUSEPORT listener per loop), and each connection stays on its loop for life.
@preconcurrency import Glibc
import CLinux
import Synchronization

public final class EventLoopGroup: @unchecked Sendable {
    // `loops` is immutable after init, the round-robin cursor is atomic; threads are started
    // and joined by the owner's thread only.
    public let loops: [EventLoop]
    private var threads: [pthread_t] = []

    public init(count: Int) throws {
        loops = try (0..<max(1, count)).map { try EventLoop(index: $0) }
    }

    /// Starts one thread per loop. Signals stay blocked in these threads (see `SignalWaiter`).
    public func start() {
        for loop in loops {
            let box = Unmanaged.passRetained(loop).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
                loop.run()
                return nil
            }, box)
            if rc != 0 { fatalError("pthread_create failed: \(rc)") }
            threads.append(tid)
        }
    }

    public func stopAndJoin() {
        for l in loops { l.stop() }
        for t in threads { pthread_join(t, nil) }
        threads.removeAll()
    }

    private let next = Atomic<Int>(0)
    /// Round-robin choice for work that is not tied to a connection; callable from any thread.
    public func any() -> EventLoop {
        let n = next.add(1, ordering: .relaxed).newValue
        return loops[Int(UInt(bitPattern: n) % UInt(loops.count))]
    }
}

/// Blocks SIGTERM/SIGINT process-wide (call before starting threads) and waits for one on the
/// calling thread, so shutdown runs on an ordinary thread instead of a signal handler.
public enum SignalWaiter {
    public static func prepare() {
        sb_ignore_sigpipe()
        sb_ignore_sigxfsz()
        _ = sb_block_shutdown_signals()
        ReloadSignal.block()
    }

    /// Blocks until SIGTERM or SIGINT; returns its name.
    public static func wait() -> String {
        sb_wait_shutdown_signal() == SIGTERM ? "SIGTERM" : "SIGINT"
    }
}

/// Thread count default: the cores this process may run on.
public func availableCores() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
