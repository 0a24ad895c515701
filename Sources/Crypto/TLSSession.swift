// One server-side TLS connection as a byte transformer with no I/O: ciphertext from the socket is
// fed in, plaintext comes out; plaintext to send goes in, ciphertext to write comes out (memory
// BIOs). The reactor's connection does the socket I/O, so TLS never blocks a loop and never
// touches a file descriptor. Confined to its connection's loop.
import COpenSSL

/// The ciphertext sink's BIO method (COpenSSL/shim.h), made once; lives for the process.
nonisolated(unsafe) private let ciphertextSinkMethod: OpaquePointer? = cos_sink_method_new()

public enum TLSReadResult: Equatable, Sendable {
    /// Plaintext bytes written to the buffer.
    case bytes(Int)
    /// Needs more ciphertext first.
    case wantMore
    /// The peer sent close_notify.
    case closed
    /// Handshake or record failure (e.g. plain HTTP on the TLS port): close the connection.
    case failed(String)
}

public final class TLSSession: @unchecked Sendable {
    private let ssl: OpaquePointer
    private var incoming: OpaquePointer  // ciphertext in: SSL reads it
    private var outgoing: OpaquePointer  // ciphertext out (a sink): the socket writes it in place
    public private(set) var isHandshakeComplete = false
    private var buffersCompacted = false
    public private(set) var closeNotifySent = false

    init?(ssl: OpaquePointer) {
        guard let r = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            return nil
        }
        guard let method = ciphertextSinkMethod, let w = BIO_new(method) else {
            BIO_free(r)
            SSL_free(ssl)
            return nil
        }
        self.ssl = ssl
        incoming = r
        outgoing = w
        SSL_set_bio(ssl, r, w)  // the SSL owns both BIOs now
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Once after the handshake, when the input BIO is empty: replaces it with a fresh one, since
    /// a memory BIO keeps the largest buffer it ever held (the client's hello) for the life of the
    /// connection. (The output sink frees its buffer whenever it drains.) Cheap; call whenever the
    /// connection goes idle.
    public func compactBuffersAfterHandshake() {
        guard isHandshakeComplete, !buffersCompacted, BIO_ctrl_pending(incoming) == 0,
              let r = BIO_new(BIO_s_mem()) else { return }
        SSL_set0_rbio(ssl, r)  // frees the old one
        incoming = r
        buffersCompacted = true
    }

    /// Hands ciphertext read from the socket to TLS.
    public func feed(_ ciphertext: UnsafeRawBufferPointer) {
        guard ciphertext.count > 0 else { return }
        _ = BIO_write(incoming, ciphertext.baseAddress, Int32(ciphertext.count))
    }

    /// Reads plaintext (driving the handshake first). Call until `.wantMore`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSReadResult {
        if !isHandshakeComplete {
            let rc = SSL_do_handshake(ssl)
            if rc != 1 { return outcome(rc) }
            isHandshakeComplete = true
        }
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return rc > 0 ? .bytes(Int(rc)) : outcome(rc)
    }

    /// Encrypts plaintext; returns how many bytes were taken (0 before the handshake is done),
    /// or nil when the connection failed.
    public func write(_ plaintext: UnsafeRawBufferPointer) -> Int? {
        guard isHandshakeComplete, plaintext.count > 0 else { return 0 }
        let rc = SSL_write(ssl, plaintext.baseAddress, Int32(min(plaintext.count, Int(Int32.max))))
        if rc > 0 { return Int(rc) }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return 0
        default:
            ERR_clear_error()
            return nil
        }
    }

    /// Ciphertext waiting to be written to the socket.
    public var pendingCiphertext: Int { Int(BIO_ctrl_pending(outgoing)) }

    /// Hands the pending ciphertext, in place, to `body` (which writes it to the socket) and drops
    /// the bytes `body` says it wrote. The buffer is freed once everything is taken.
    public func writeCiphertext(_ body: (UnsafeRawBufferPointer) -> Int) {
        var length = 0
        guard let start = cos_sink_peek(outgoing, &length), length > 0 else { return }
        let taken = body(UnsafeRawBufferPointer(start: start, count: length))
        if taken > 0 { cos_sink_consume(outgoing, taken) }
    }

    /// Moves pending ciphertext to the end of `out` (tests; the reactor uses `writeCiphertext`).
    public func takeCiphertext(appendingTo out: inout [UInt8]) {
        writeCiphertext { p in
            out.append(contentsOf: p)
            return p.count
        }
    }

    /// Queues close_notify (an orderly close: the peer can tell it from a truncation). Once; only
    /// after the handshake, since before it there is no record protection to send it with.
    public func sendCloseNotify() {
        guard isHandshakeComplete, !closeNotifySent else { return }
        closeNotifySent = true
        _ = SSL_shutdown(ssl)  // 0: sent, the peer's not read yet, which we do not wait for
        ERR_clear_error()
    }

    /// Plaintext or ciphertext still buffered inside TLS (read it before waiting for the socket).
    public var hasBufferedInput: Bool { SSL_pending(ssl) > 0 || BIO_ctrl_pending(incoming) > 0 }

    /// The ALPN protocol agreed on, if any ("http/1.1").
    public var alpnProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// "TLSv1.2" or "TLSv1.3".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    private func outcome(_ rc: Int32) -> TLSReadResult {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantMore
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: return .failed(TLSServerContext.lastError())
        }
    }
}
