// The server's TLS configuration: certificate chain and key (PEM files), TLS 1.2 and 1.3, ALPN
// http/1.1. Checked at start-up so a bad certificate stops the server with one line that says
// what is wrong; `reload()` (SIGHUP) swaps in a new context for new handshakes while open
// connections keep the one they started with (each SSL holds a reference to its context).
@preconcurrency import Glibc
import COpenSSL
import Locks

public struct TLSConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

public final class TLSServerContext: @unchecked Sendable {
    public let certificatePath: String
    public let keyPath: String
    /// The SSL_CTX new connections use (an OpaquePointer, never exposed).
    private let current: Locked<OpaquePointer>

    /// Loads and checks the certificate chain and key; throws with one line naming the problem
    /// (missing, unreadable, not PEM, expired, key not matching).
    public init(certificatePath: String, keyPath: String) throws(TLSConfigurationError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Locked(try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath))
    }

    deinit { current.withLock { SSL_CTX_free($0) } }

    /// Re-reads both files. On error the running context stays and the error is returned.
    public func reload() throws(TLSConfigurationError) {
        let fresh = try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath)
        let old = current.withLock { ctx -> OpaquePointer in
            let old = ctx
            ctx = fresh
            return old
        }
        SSL_CTX_free(old)  // connections still using it hold their own reference
    }

    /// A server-side session for one accepted connection.
    public func makeSession() -> TLSSession? {
        let ssl = current.withLock { SSL_new($0) }
        return ssl.flatMap { TLSSession(ssl: $0) }
    }

    private static func makeContext(certificatePath: String, keyPath: String) throws(TLSConfigurationError) -> OpaquePointer {
        try checkCertificateFile(certificatePath)
        try checkReadable(keyPath, what: "TLS key")
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw error("cannot create a TLS context: \(lastError())") }
        var ok = false
        defer { if !ok { SSL_CTX_free(ctx) } }
        guard cos_ctx_configure(ctx) == 1 else { throw error("cannot configure TLS 1.2+: \(lastError())") }
        guard SSL_CTX_use_certificate_chain_file(ctx, certificatePath) == 1 else {
            throw error("TLS certificate \(certificatePath) is not a PEM certificate chain: \(lastError())")
        }
        guard let keyFile = BIO_new_file(keyPath, "r") else { throw error("TLS key \(keyPath) cannot be read") }
        let key = PEM_read_bio_PrivateKey(keyFile, nil, nil, nil)
        BIO_free(keyFile)
        guard let key else {
            ERR_clear_error()
            throw error("TLS key \(keyPath) is not a PEM private key")
        }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(ctx, key) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
            ERR_clear_error()
            throw error("TLS certificate \(certificatePath) does not match the key \(keyPath)")
        }
        cos_ctx_use_http11_alpn(ctx)
        ok = true
        return ctx
    }

    private static func checkReadable(_ path: String, what: String) throws(TLSConfigurationError) {
        guard let f = fopen(path, "r") else {
            let e = errno
            if e == ENOENT { throw error("\(what) \(path) is missing") }
            throw error("\(what) \(path) cannot be read: \(String(cString: strerror(e)))")
        }
        fclose(f)
    }

    /// Readable, PEM, and not expired (the leaf, the first certificate in the file).
    private static func checkCertificateFile(_ path: String) throws(TLSConfigurationError) {
        try checkReadable(path, what: "TLS certificate")
        guard let bio = BIO_new_file(path, "r") else { throw error("TLS certificate \(path) cannot be read") }
        defer { BIO_free(bio) }
        guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else {
            ERR_clear_error()
            throw error("TLS certificate \(path) is not a PEM certificate")
        }
        defer { X509_free(cert) }
        if cos_x509_expired(cert) == 1 { throw error("TLS certificate \(path) has expired") }
    }

    private static func error(_ message: String) -> TLSConfigurationError { TLSConfigurationError(message: message) }

    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
