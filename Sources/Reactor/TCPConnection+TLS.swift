// TLS on a TCPConnection: ciphertext moves between the socket and a TLSSession (memory BIOs),
// plaintext between the session and the delegate, so the delegate and the output queue see
// exactly what they see on plain TCP. Reads drain the socket into TLS, then TLS into the
// delegate; writes encrypt the turn's queued plaintext (small frames gathered into records of up
// to 16 KiB, so a turn costs a few SSL_write calls, not one per frame) into the session's
// ciphertext sink and write(2) it from there in place, with the same EAGAIN/EPOLLOUT handling as
// plain writes. An orderly close sends close_notify after the last bytes. A handshake that does not finish within its
// deadline is closed; bytes that are not TLS (plain HTTP on the TLS port) fail the handshake and
// close the connection.
@preconcurrency import Glibc
import Crypto

final class TLSState {
    let session: TLSSession
    /// Plaintext encrypted into the session's pending ciphertext, counted as written once that is
    /// on the socket.
    var plaintextInFlight = 0
    var handshakeTimer: TimerID?

    init(session: TLSSession) { self.session = session }
}

extension TCPConnection {
    /// Serves this connection over TLS. Call before `start()`. A handshake not finished within
    /// `handshakeTimeoutNanoseconds` closes the connection.
    public func startTLS(_ session: TLSSession, handshakeTimeoutNanoseconds: UInt64) {
        let state = TLSState(session: session)
        tls = state
        state.handshakeTimer = loop.schedule(afterNanoseconds: handshakeTimeoutNanoseconds) { [weak self] in
            guard let self, let tls = self.tls else { return }
            tls.handshakeTimer = nil
            if !tls.session.isHandshakeComplete { self.close() }
        }
    }

    /// The TLS session, when this connection is TLS (ALPN and version for tests and logs).
    public var tlsSession: TLSSession? { tls?.session }

    func handleReadableTLS() {
        guard let tls else { return }
        var sawEOF = false
        var reads = 0
        while reads < Self.maxReadsPerTurn && !isClosed {
            reads += 1
            let scratch = loop.readScratch
            let r: IOResult<Int>
            do {
                r = try Syscall.nonBlocking("read") { Glibc.read(fd, scratch.baseAddress, scratch.count) }
            } catch {
                close()
                return
            }
            guard case .processed(let n) = r else { break }
            if n == 0 { sawEOF = true; break }
            tls.session.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            if n < scratch.count { break }
        }
        drainTLSInput()
        if isClosed { return }
        if tls.session.pendingCiphertext > 0 { flushTLS() }
        if sawEOF && !isClosed && !peerClosedInput {
            if lingering { close(); return }
            peerClosedInput = true
            updateInterest()
            delegate?.connectionDidReceiveEOF(self)
        } else if !sawEOF && reads >= Self.maxReadsPerTurn && !isClosed {
            // The socket may hold more: come back next turn rather than wait for a new event.
            loop.atEndOfTurn { [weak self] in self?.handleReadable() }
        }
    }

    /// Decrypts what TLS holds and hands the plaintext to the delegate.
    private func drainTLSInput() {
        guard let tls else { return }
        while !isClosed && !readingPaused && !peerClosedInput {
            let scratch = loop.readScratch
            switch tls.session.read(into: scratch) {
            case .bytes(let n):
                if let t = tls.handshakeTimer {
                    loop.cancel(t)
                    tls.handshakeTimer = nil
                }
                if lingering { continue }
                deliver(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            case .wantMore:
                if tls.session.isHandshakeComplete, let t = tls.handshakeTimer {
                    loop.cancel(t)
                    tls.handshakeTimer = nil
                }
                return
            case .closed:
                peerClosedInput = true
                updateInterest()
                delegate?.connectionDidReceiveEOF(self)
                return
            case .failed:
                close()
                return
            }
        }
    }

    /// After reading resumes, plaintext TLS already decrypted would otherwise wait for the next
    /// socket event, which may never come.
    func resumeBufferedTLSInput() {
        guard let tls, tls.session.hasBufferedInput else { return }
        loop.atEndOfTurn { [weak self] in
            guard let self, !self.isClosed else { return }
            self.drainTLSInput()
        }
    }

    func flushTLS() {
        guard let tls, !isClosed else { return }
        var writes = 0
        while writes < Self.maxWritesPerTurn {
            if tls.session.pendingCiphertext == 0 {
                if !encryptQueuedOutput(tls) { close(); return }
                if output.isEmpty && closeWhenDrained { tls.session.sendCloseNotify() }
                if tls.session.pendingCiphertext == 0 { break }
            }
            writes += 1
            var failed = false
            var wouldBlock = false
            tls.session.writeCiphertext { p in
                let result: IOResult<Int>
                do {
                    result = try Syscall.nonBlocking("write") { Glibc.write(fd, p.baseAddress, p.count) }
                } catch {
                    failed = true
                    return 0
                }
                writeCalls += 1
                guard case .processed(let n) = result else {
                    wouldBlock = true
                    return 0
                }
                return n
            }
            if failed { close(); return }
            if wouldBlock { setWritable(true); return }
            if tls.session.pendingCiphertext == 0 {
                bytesWritten += tls.plaintextInFlight
                queuedBytes -= tls.plaintextInFlight
                tls.plaintextInFlight = 0
            }
        }
        let cipherPending = tls.session.pendingCiphertext > 0
        if output.isEmpty && !cipherPending {
            if output.capacity > 16 { output = [] }
            tls.session.compactBuffersAfterHandshake()
            setWritable(false)
            if closeWhenDrained {
                finishClose()
                return
            }
            delegate?.connectionDidDrain(self)
        } else if !cipherPending && !tls.session.isHandshakeComplete {
            // Answers wait for the handshake, which waits for the peer: nothing to write now.
            setWritable(false)
            if closeWhenDrained { close() }
        } else {
            setWritable(true)
        }
    }

    /// Largest plaintext in one TLS record: small queued frames are gathered up to this size and
    /// encrypted with one SSL_write.
    static let tlsRecordPlaintext = 16 << 10

    /// Encrypts up to 64 KiB of queued plaintext. False when TLS failed.
    private func encryptQueuedOutput(_ tls: TLSState) -> Bool {
        guard tls.session.isHandshakeComplete, !output.isEmpty else { return true }
        return withUnsafeTemporaryAllocation(byteCount: Self.tlsRecordPlaintext, alignment: 16) { stage in
            var budget = 64 << 10
            var staged = 0
            var finished = 0  // leading output entries fully taken
            // The sink never pushes back, so each SSL_write takes at least one record (partial
            // write mode returns after each) or fails.
            func seal(_ plaintext: UnsafeRawBufferPointer) -> Bool {
                var done = 0
                while done < plaintext.count {
                    guard let n = tls.session.write(UnsafeRawBufferPointer(rebasing: plaintext[done...])), n > 0 else { return false }
                    done += n
                }
                return true
            }
            while budget > 0, finished < output.count {
                let (bytes, offset) = output[finished]
                let remaining = bytes.count - offset
                let chunk: Int
                if staged == 0 && (remaining >= stage.count || finished == output.count - 1) {
                    // Large, or the last one queued: straight from the queue, no gathering copy.
                    chunk = min(remaining, budget)
                    guard seal(UnsafeRawBufferPointer(rebasing: bytes.pointer[offset..<(offset + chunk)])) else { return false }
                } else {
                    chunk = min(remaining, stage.count - staged, budget)
                    (stage.baseAddress! + staged).copyMemory(from: bytes.pointer.baseAddress! + offset, byteCount: chunk)
                    staged += chunk
                    if staged == stage.count {
                        guard seal(UnsafeRawBufferPointer(stage)) else { return false }
                        staged = 0
                    }
                }
                budget -= chunk
                tls.plaintextInFlight += chunk
                if chunk == remaining { finished += 1 } else { output[finished].offset += chunk }
            }
            if finished > 0 { output.removeFirst(finished) }
            return staged == 0 || seal(UnsafeRawBufferPointer(rebasing: stage[0..<staged]))
        }
    }
}
