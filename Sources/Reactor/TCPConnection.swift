// One accepted TCP stream on its loop: reads into the loop's scratch buffer, keeps only the
// unconsumed tail, queues shared output buffers and writes them with writev once per turn.
@preconcurrency import Glibc
import CLinux

public protocol ConnectionDelegate: AnyObject {
    /// New bytes (including any unconsumed tail from before). Returns how many were consumed;
    /// the rest is kept and offered again with the next bytes.
    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) -> Int
    /// The peer closed its side (EOF) while the connection was open.
    func connectionDidReceiveEOF(_ connection: TCPConnection)
    /// The output queue was fully written.
    func connectionDidDrain(_ connection: TCPConnection)
    /// The fd is closed; release everything.
    func connectionDidClose(_ connection: TCPConnection)
}

public final class TCPConnection: EventHandler {
    public let fd: Int32
    public let loop: EventLoop
    public let peer: String
    public weak var delegate: ConnectionDelegate?

    /// Unconsumed input; empty (no allocation) while no partial message is pending.
    private var pendingInput: [UInt8] = []
    // Internal (not private) where TCPConnection+TLS.swift reads or writes them.
    var output: [(bytes: SharedBytes, offset: Int)] = []
    public internal(set) var queuedBytes: Int = 0
    public private(set) var isClosed = false
    private var flushScheduled = false
    var wantsWritable = false
    var readingPaused = false
    /// The peer's EOF was read: there is nothing more to read, so read interest is gone for good
    /// and the delegate hears about the EOF exactly once.
    public internal(set) var peerClosedInput = false
    var closeWhenDrained = false
    var lingering = false
    private var lingerTimer: TimerID?
    /// Total bytes ever written (metrics, tests); plaintext bytes on a TLS connection.
    public internal(set) var bytesWritten: Int = 0
    public internal(set) var writeCalls: Int = 0
    /// TLS state when the listener serves TLS (TCPConnection+TLS.swift); nil for plain TCP.
    var tls: TLSState?

    /// Reads per readiness event before yielding to other connections (fairness).
    static let maxReadsPerTurn = 4
    /// writev calls per flush before yielding.
    static let maxWritesPerTurn = 16

    public init(fd: Int32, loop: EventLoop, peer: String) {
        self.fd = fd
        self.loop = loop
        self.peer = peer
    }

    public func start() throws {
        try loop.register(fd: fd, interest: .read, handler: self)
    }

    // MARK: reading

    public func handleReadable() {
        if isClosed || peerClosedInput { return }
        if tls != nil { return handleReadableTLS() }
        var reads = 0
        while reads < Self.maxReadsPerTurn && !isClosed && !readingPaused {
            reads += 1
            let scratch = loop.readScratch
            let r: IOResult<Int>
            do {
                r = try Syscall.nonBlocking("read") { Glibc.read(fd, scratch.baseAddress, scratch.count) }
            } catch {
                close()
                return
            }
            guard case .processed(let n) = r else { return }
            if n == 0 {
                if lingering { close(); return }
                peerClosedInput = true
                updateInterest()
                delegate?.connectionDidReceiveEOF(self)
                return
            }
            if lingering { continue }  // discarding input while the last response drains
            deliver(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            if n < scratch.count { return }
        }
    }

    func deliver(_ fresh: UnsafeRawBufferPointer) {
        guard let delegate else { return }
        if pendingInput.isEmpty {
            let used = delegate.connection(self, didRead: fresh)
            if !isClosed && used < fresh.count {
                pendingInput.append(contentsOf: fresh[max(used, 0)...])
            }
        } else {
            pendingInput.append(contentsOf: fresh)
            let used = pendingInput.withUnsafeBytes { delegate.connection(self, didRead: $0) }
            if isClosed { return }
            if used >= pendingInput.count {
                pendingInput = []  // release the storage: idle connections hold no buffer
            } else if used > 0 {
                pendingInput.removeFirst(used)
            }
        }
    }

    /// Re-offers buffered input (after the delegate resumes, e.g. an async response finished).
    public func redeliverPending() {
        guard !pendingInput.isEmpty, !isClosed else { return }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        deliver(empty)
    }

    /// Stops reading (backpressure) until `resumeReading()`.
    public func pauseReading() {
        guard !readingPaused, !isClosed else { return }
        readingPaused = true
        updateInterest()
    }

    public func resumeReading() {
        guard readingPaused, !isClosed else { return }
        readingPaused = false
        updateInterest()
        resumeBufferedTLSInput()
    }

    func updateInterest() {
        var i: EventLoop.Interest = []
        if !readingPaused && !peerClosedInput { i.insert(.read) }
        if wantsWritable { i.insert(.write) }
        loop.modify(fd: fd, interest: i)
    }

    public func handleHangup() {
        // Read what is left (the peer may have sent data then closed), then close. With reading
        // paused nothing is read: the peer is gone, and no answer can reach it.
        handleReadable()
        if !isClosed { close() }
    }

    // MARK: writing

    /// Queues bytes; they are written at the end of this loop turn, together with everything else
    /// queued in the turn (one writev).
    public func enqueue(_ bytes: SharedBytes) {
        guard !isClosed, bytes.count > 0 else { return }
        output.append((bytes, 0))
        queuedBytes += bytes.count
        scheduleFlush()
    }

    public func enqueue(_ bytes: [UInt8]) {
        enqueue(SharedBytes(bytes))
    }

    /// Writes at once when nothing is queued (the common request/response case: no copy into a
    /// shared buffer, no end-of-turn hook); whatever the socket does not take is queued.
    public func send(_ bytes: [UInt8]) {
        guard !isClosed, !bytes.isEmpty else { return }
        guard output.isEmpty, !wantsWritable, tls == nil else {
            enqueue(bytes)
            return
        }
        let result: IOResult<Int>
        do {
            result = try bytes.withUnsafeBytes { p in
                try Syscall.nonBlocking("write") { Glibc.write(fd, p.baseAddress, p.count) }
            }
        } catch {
            close()
            return
        }
        writeCalls += 1
        var written = 0
        if case .processed(let n) = result { written = n }
        bytesWritten += written
        if written < bytes.count {
            enqueue(SharedBytes(Array(bytes[written...])))
        }
    }

    private func scheduleFlush() {
        if flushScheduled || wantsWritable { return }
        flushScheduled = true
        loop.atEndOfTurn { [weak self] in
            guard let self else { return }
            self.flushScheduled = false
            self.flush()
        }
    }

    public func handleWritable() {
        flush()
    }

    /// Writes queued buffers with writev, up to a cap per turn; waits for EPOLLOUT on EAGAIN.
    public func flush() {
        if isClosed { return }
        if tls != nil { return flushTLS() }
        var writes = 0
        while !output.isEmpty && writes < Self.maxWritesPerTurn {
            writes += 1
            let count = min(output.count, 64)
            let result: IOResult<Int>
            do {
                result = try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { iov in
                    for i in 0..<count {
                        let (b, off) = output[i]
                        iov[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.pointer.baseAddress! + off), iov_len: b.count - off)
                    }
                    return try Syscall.nonBlocking("writev") { Glibc.writev(fd, iov.baseAddress, Int32(count)) }
                }
            } catch {
                close()
                return
            }
            writeCalls += 1
            guard case .processed(var n) = result else {
                setWritable(true)
                return
            }
            bytesWritten += n
            queuedBytes -= n
            var done = 0
            while n > 0 && done < output.count {
                let remaining = output[done].bytes.count - output[done].offset
                if n >= remaining {
                    n -= remaining
                    done += 1
                } else {
                    output[done].offset += n
                    n = 0
                }
            }
            if done > 0 { output.removeFirst(done) }
        }
        if output.isEmpty {
            if output.capacity > 16 { output = [] }
            setWritable(false)
            if closeWhenDrained {
                finishClose()
                return
            }
            delegate?.connectionDidDrain(self)
        } else {
            setWritable(true)  // cap reached or EAGAIN: continue when writable
        }
    }

    func setWritable(_ on: Bool) {
        guard wantsWritable != on, !isClosed else { return }
        wantsWritable = on
        updateInterest()
    }

    // MARK: closing

    /// Closes once the output queue is written. With `linger`, the write side is shut down and
    /// input is discarded briefly, so the peer reads our last response instead of getting a reset.
    /// `flushDeadline` bounds the wait for a peer that stopped reading.
    public func closeAfterFlush(linger: Bool = true, flushDeadlineNanoseconds: UInt64 = 5_000_000_000) {
        guard !isClosed else { return }
        lingering = lingering || linger
        if !closeWhenDrained {
            closeWhenDrained = true
            // A peer that stopped reading would keep us waiting for the flush forever.
            lingerTimer = loop.schedule(afterNanoseconds: flushDeadlineNanoseconds) { [weak self] in self?.close() }
        }
        if tls != nil {
            flushTLS()  // ciphertext may be pending with no plaintext queued; close_notify goes last
        } else if output.isEmpty {
            finishClose()
        } else {
            scheduleFlush()
        }
    }

    /// Drops queued output that has not started to go out (a partly written buffer stays, so the
    /// byte stream remains well-formed). Used before a final message to a slow consumer.
    public func discardQueuedOutput() {
        guard output.count > 1 || (output.count == 1 && output[0].offset == 0) else { return }
        let keep = output.first.map { $0.offset > 0 } ?? false
        output = keep ? [output[0]] : []
        queuedBytes = output.reduce(0) { $0 + $1.bytes.count - $1.offset }
    }

    func finishClose() {
        // Lingering waits for the peer's EOF so that unread input does not turn our close into a
        // reset; once the EOF was read there is nothing left to wait for.
        if lingering && !peerClosedInput {
            Sockets.shutdownWrite(fd)
            readingPaused = false
            pendingInput = []
            setWritable(false)
            updateInterest()
            if let t = lingerTimer { loop.cancel(t) }
            lingerTimer = loop.schedule(afterNanoseconds: 2_000_000_000) { [weak self] in self?.close() }
        } else {
            close()
        }
    }

    /// Closes now, dropping anything unsent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if let t = lingerTimer { loop.cancel(t) }
        loop.deregister(fd: fd)
        Syscall.close(fd)
        output.removeAll()
        queuedBytes = 0
        pendingInput = []
        if let t = tls?.handshakeTimer { loop.cancel(t) }
        tls = nil
        delegate?.connectionDidClose(self)
        delegate = nil
    }
}
