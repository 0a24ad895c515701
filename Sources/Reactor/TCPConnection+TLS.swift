// TLS on a TCPConnection: ciphertext moves between the socket and a TLSSession (memory BIOs),
// plaintext between the session and the delegate, so the delegate and the output queue see
// exactly what they see on plain TCP. Reads drain the socket into TLS, then TLS into the
// delegate; writes encrypt queued plaintext into a ciphertext buffer and write that, with the
// same EAGAIN/EPOLLOUT handling as plain writes. A handshake that does not finish within its
// deadline is closed; bytes that are not TLS (plain HTTP on the TLS port) fail the handshake and
// close the connection.
@preconcurrency import Glibc
import Crypto

final class TLSState {
    let session: TLSSession
    /// Ciphertext not yet written to the socket.
    var cipherOut: [UInt8] = []
    /// Plaintext encrypted into `cipherOut`, counted as written once that is on the socket.
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
        if tls.session.pendingCiphertext > 0 || !tls.cipherOut.isEmpty { flushTLS() }
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
            if tls.cipherOut.isEmpty {
                if !encryptQueuedOutput(tls) { close(); return }
                tls.session.takeCiphertext(appendingTo: &tls.cipherOut)
                if tls.cipherOut.isEmpty { break }
            }
            writes += 1
            let result: IOResult<Int>
            do {
                result = try tls.cipherOut.withUnsafeBytes { p in
                    try Syscall.nonBlocking("write") { Glibc.write(fd, p.baseAddress, p.count) }
                }
            } catch {
                close()
                return
            }
            writeCalls += 1
            guard case .processed(let n) = result else {
                setWritable(true)
                return
            }
            if n >= tls.cipherOut.count {
                tls.cipherOut = []
                bytesWritten += tls.plaintextInFlight
                queuedBytes -= tls.plaintextInFlight
                tls.plaintextInFlight = 0
            } else {
                tls.cipherOut.removeFirst(n)
            }
        }
        if output.isEmpty && tls.cipherOut.isEmpty {
            if output.capacity > 16 { output = [] }
            tls.session.compactBuffersAfterHandshake()
            setWritable(false)
            if closeWhenDrained {
                finishClose()
                return
            }
            delegate?.connectionDidDrain(self)
        } else if tls.cipherOut.isEmpty && !tls.session.isHandshakeComplete {
            // Answers wait for the handshake, which waits for the peer: nothing to write now.
            setWritable(false)
            if closeWhenDrained { close() }
        } else {
            setWritable(true)
        }
    }

    /// Encrypts up to 64 KiB of queued plaintext. False when TLS failed.
    private func encryptQueuedOutput(_ tls: TLSState) -> Bool {
        var budget = 64 << 10
        while budget > 0, !output.isEmpty, tls.session.isHandshakeComplete {
            let (bytes, offset) = output[0]
            let chunk = min(bytes.count - offset, budget)
            guard let n = tls.session.write(UnsafeRawBufferPointer(rebasing: bytes.pointer[offset..<(offset + chunk)])) else {
                return false
            }
            if n == 0 { break }
            budget -= n
            tls.plaintextInFlight += n
            if offset + n == bytes.count { output.removeFirst() } else { output[0].offset += n }
        }
        return true
    }
}
