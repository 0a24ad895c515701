// One epoll loop, owned by one thread: readiness events, timers, cross-thread tasks woken by an
// eventfd, and end-of-turn hooks (used to flush batched output once per turn).
@preconcurrency import Glibc
import CLinux
import Locks
import Synchronization

/// Something registered for readiness events on one file descriptor.
public protocol EventHandler: AnyObject {
    func handleReadable()
    func handleWritable()
    /// Error or hang-up reported by epoll; the handler decides (usually: read to EOF, then close).
    func handleHangup()
}

public final class EventLoop: @unchecked Sendable {
    // Loop-confined state (handlers, timers, hooks, the drained half of the inbox) is touched
    // only on the loop's thread; the cross-thread queue is guarded by a lock, its count and the
    // flags are atomics, and "which loop am I on" is thread-local. Hence @unchecked Sendable.
    public let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private var handlers: [Int32: (generation: UInt32, handler: EventHandler)] = [:]
    private var generation: UInt32 = 0
    private var timers = TimerHeap()
    private var endOfTurn: [() -> Void] = []
    private let inbox = Locked<[@Sendable () -> Void]>([])
    /// The loop's half of the inbox's double buffer: swapped with the queue under the lock, run
    /// outside it, emptied keeping its capacity, so a busy inbox allocates nothing per turn.
    private var draining: [@Sendable () -> Void] = []
    private let pending = Atomic<Int>(0)
    private let wakePending = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// Loop turns so far (loop thread only): tests use it to prove an idle loop does not spin.
    public private(set) var turns: UInt64 = 0
    private var events: UnsafeMutablePointer<epoll_event>
    private let maxEvents = 256
    /// Scratch space for reads, shared by all connections of this loop: a connection keeps
    /// no read buffer while it has no partial message pending.
    public let readScratch: UnsafeMutableRawBufferPointer

    public init(index: Int) throws {
        self.index = index
        epfd = try Syscall.blocking("epoll_create1") { sb_epoll_create() }
        wakeFD = try Syscall.blocking("eventfd") { sb_eventfd_nonblock() }
        events = .allocate(capacity: maxEvents)
        readScratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        var ev = epoll_event()
        sb_epoll_event_set(&ev, sb_epollin(), UInt64.max)
        try Syscall.blocking("epoll_ctl") { epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &ev) }
    }

    deinit {
        Syscall.close(epfd)
        Syscall.close(wakeFD)
        events.deallocate()
        readScratch.deallocate()
    }

    /// True on this loop's own thread. The marker is thread-local (set by `run()` on the loop's
    /// thread), so asking from any thread reads nothing another thread writes.
    public var inEventLoop: Bool {
        sb_current_loop() == UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
    }

    /// True on the thread of any event loop: such a caller must never block on another loop.
    public static var onAnyLoopThread: Bool { sb_current_loop() != nil }

    // MARK: registration

    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let read = Interest(rawValue: 1)
        public static let write = Interest(rawValue: 2)
    }

    /// RDHUP belongs to the read side: with reading paused it is left out too, since epoll is
    /// level-triggered and a peer's half-close would otherwise wake the loop on every turn.
    /// (ERR and HUP are always reported; the handler closes on them.)
    private func epollMask(_ interest: Interest) -> UInt32 {
        var m: UInt32 = 0
        if interest.contains(.read) { m |= sb_epollin() | sb_epollrdhup() }
        if interest.contains(.write) { m |= sb_epollout() }
        return m
    }

    public func register(fd: Int32, interest: Interest, handler: EventHandler) throws {
        generation &+= 1
        handlers[fd] = (generation, handler)
        var ev = epoll_event()
        sb_epoll_event_set(&ev, epollMask(interest), UInt64(UInt32(bitPattern: fd)) << 32 | UInt64(generation))
        do {
            try Syscall.blocking("epoll_ctl(ADD)") { epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) }
        } catch {
            handlers[fd] = nil
            throw error
        }
    }

    public func modify(fd: Int32, interest: Interest) {
        guard let reg = handlers[fd] else { return }
        var ev = epoll_event()
        sb_epoll_event_set(&ev, epollMask(interest), UInt64(UInt32(bitPattern: fd)) << 32 | UInt64(reg.generation))
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Removes the fd before it is closed, so a reused fd number never receives stale events.
    public func deregister(fd: Int32) {
        guard handlers.removeValue(forKey: fd) != nil else { return }
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
    }

    // MARK: timers and tasks

    /// Runs `callback` on this loop after `nanoseconds`. Loop thread only.
    @discardableResult
    public func schedule(afterNanoseconds ns: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        timers.schedule(deadline: MonotonicTime.nanoseconds() &+ ns, callback)
    }

    /// Runs `callback` on this loop once the monotonic clock reaches `deadlineNanoseconds` (at
    /// once, next turn, if it already has). Loop thread only.
    @discardableResult
    public func schedule(atNanoseconds deadlineNanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        timers.schedule(deadline: deadlineNanoseconds, callback)
    }

    public func cancel(_ timer: TimerID) { timers.cancel(timer) }

    /// Runs `callback` once at the end of the current turn (after all events are handled).
    public func atEndOfTurn(_ callback: @escaping () -> Void) { endOfTurn.append(callback) }

    /// Queues a task from any thread and wakes the loop. Never blocks and never drops: the tasks
    /// queued here must run (deferred answers, fan-out already accepted), and a loop thread that
    /// waited for another loop's inbox while holding a hub lock could deadlock. What bounds the
    /// inbox is its producers: at most one deferred answer per connection, and hub fan-out,
    /// which the hub admits by `pendingTasks`. Producers that can shed work use `tryExecute`.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        pending.add(1, ordering: .relaxed)
        inbox.withLock { $0.append(task) }
        wake()
    }

    /// Queues a task unless `pendingTasks` already reached `limit`; false means refused (the
    /// caller sheds or retries the work, e.g. answers 429).
    public func tryExecute(limit: Int, _ task: @escaping @Sendable () -> Void) -> Bool {
        let admitted = inbox.withLock { queue -> Bool in
            // Checked under the lock so concurrent producers cannot overshoot the limit together.
            guard pending.load(ordering: .relaxed) < limit else { return false }
            pending.add(1, ordering: .relaxed)
            queue.append(task)
            return true
        }
        if admitted { wake() }
        return admitted
    }

    /// Tasks queued by `execute`/`tryExecute` and not yet run: the inbox's backlog, readable from
    /// any thread (admission control, metrics).
    public var pendingTasks: Int { pending.load(ordering: .relaxed) }

    private func wake() {
        if wakePending.exchange(true, ordering: .acquiringAndReleasing) { return }
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake()
    }

    // MARK: the loop

    /// Runs until `stop()`; call on the thread that owns this loop.
    public func run() {
        sb_set_current_loop(UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()))
        defer { sb_set_current_loop(nil) }
        while !stopping.load(ordering: .acquiring) {
            turns &+= 1
            let timeout: Int32
            if !endOfTurn.isEmpty {
                timeout = 0
            } else if let d = timers.nextDeadline() {
                let now = MonotonicTime.nanoseconds()
                timeout = d <= now ? 0 : Int32(min((d - now + 999_999) / 1_000_000, 60_000))
            } else {
                timeout = 60_000
            }
            let n = epoll_wait(epfd, events, Int32(maxEvents), timeout)
            if n > 0 {
                for i in 0..<Int(n) {
                    dispatch(events[i])
                }
            }
            runTimers()
            runInbox()
            runEndOfTurn()
        }
        // Final drain so tasks queued during shutdown (closing frames) still run.
        runInbox()
        runEndOfTurn()
    }

    private func dispatch(_ ev: epoll_event) {
        var ev = ev
        let data = sb_epoll_event_data(&ev)
        let flags = sb_epoll_event_events(&ev)
        if data == UInt64.max {
            var buf: UInt64 = 0
            _ = withUnsafeMutableBytes(of: &buf) { read(wakeFD, $0.baseAddress, 8) }
            wakePending.store(false, ordering: .releasing)
            return
        }
        let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: data >> 32))
        let gen = UInt32(truncatingIfNeeded: data)
        // Each step re-checks the registration: a handler may close itself while handling.
        guard let reg = handlers[fd], reg.generation == gen else { return }
        if flags & (sb_epollerr() | sb_epollhup()) != 0 {
            reg.handler.handleHangup()
            return
        }
        if flags & sb_epollin() != 0 || flags & sb_epollrdhup() != 0 {
            reg.handler.handleReadable()
        }
        if flags & sb_epollout() != 0, let again = handlers[fd], again.generation == gen {
            again.handler.handleWritable()
        }
    }

    private func runTimers() {
        guard !timers.isEmpty else { return }
        let due = timers.popDue(now: MonotonicTime.nanoseconds())
        for cb in due { cb() }
    }

    private func runInbox() {
        // Tasks queued while these run wait for the next turn, so one turn's work is bounded.
        inbox.withLock { queue in swap(&queue, &draining) }
        guard !draining.isEmpty else { return }
        for task in draining { task() }
        pending.subtract(draining.count, ordering: .relaxed)
        draining.removeAll(keepingCapacity: true)
    }

    private func runEndOfTurn() {
        // Hooks may add hooks (a flush that triggers another flush): run until quiet, bounded.
        var rounds = 0
        while !endOfTurn.isEmpty && rounds < 4 {
            let hooks = endOfTurn
            endOfTurn.removeAll(keepingCapacity: true)
            for h in hooks { h() }
            rounds += 1
        }
    }
}
