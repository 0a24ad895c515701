// The one wrapper around system calls: EINTR is retried (never around close), EAGAIN is a value
// (`.wouldBlock`), and errno is read right after the call inside a non-inlined function.
@preconcurrency import Glibc
import CLinux

/// A failed system call: the call's name and errno. Thrown only for real errors, never for EAGAIN.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
}

public enum IOResult<T: Sendable>: Sendable {
    case processed(T)
    case wouldBlock
}

@usableFromInline
enum Syscall {
    /// Runs a call that returns -1 on failure, retrying EINTR; EAGAIN/EWOULDBLOCK → .wouldBlock.
    @inline(never)
    static func nonBlocking(_ name: String, _ body: () -> Int) throws -> IOResult<Int> {
        while true {
            let r = body()
            if r >= 0 { return .processed(r) }
            let e = sb_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(call: name, errno: e)
        }
    }

    /// Runs a call that must succeed (setup calls), retrying EINTR.
    @inline(never)
    @discardableResult
    static func blocking(_ name: String, _ body: () -> Int32) throws -> Int32 {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = sb_errno()
            if e == EINTR { continue }
            throw SystemError(call: name, errno: e)
        }
    }

    /// close() is never retried: on Linux the fd is released even when close reports EINTR.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
