// SIGHUP, the conventional "reload your certificates" signal. Blocked in every thread at
// start-up (SignalWaiter.prepare, before any thread exists), then taken with sigwait by the one
// thread that reloads, so it never interrupts a loop and never kills the process.
@preconcurrency import Glibc

public enum ReloadSignal {
    public static func block() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Blocks until SIGHUP arrives; true when it did.
    public static func wait() -> Bool {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGHUP)
        var signal: Int32 = 0
        return sigwait(&set, &signal) == 0 && signal == SIGHUP
    }
}
