// TLS on the listening port (SWITCHBOARD_TLS_CERT / SWITCHBOARD_TLS_KEY): the certificate is
// checked when the server is made, every accepted connection gets a TLS session, handshakes are
// bounded by the header timeout, and SIGHUP reloads the certificate chain for new handshakes
// without touching open connections.
import Crypto
import Foundation
import Logging
import Reactor

extension Server {
    /// The TLS context the settings ask for, or nil for plain TCP. Throws one line naming the
    /// problem (only one of the two paths set, file missing, unreadable, expired, key mismatch).
    static func makeTLSContext(_ settings: ServerSettings) throws -> TLSServerContext? {
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (nil, nil):
            return nil
        case (let cert?, let key?):
            return try TLSServerContext(certificatePath: cert, keyPath: key)
        default:
            throw TLSConfigurationError(message: "SWITCHBOARD_TLS_CERT and SWITCHBOARD_TLS_KEY (--tls-cert, --tls-key) must be set together")
        }
    }

    /// Wraps a freshly accepted connection in TLS when the server serves TLS.
    func startTLSIfConfigured(_ connection: TCPConnection) -> Bool {
        guard let context = tlsContext else { return true }
        guard let session = context.makeSession() else { return false }
        connection.startTLS(session, handshakeTimeoutNanoseconds: UInt64(settings.headerTimeoutSeconds * 1e9))
        return true
    }

    /// Re-reads the certificate chain and key; new handshakes use them, open connections keep
    /// theirs. A bad file leaves the running certificate in place.
    public func reloadTLS() {
        guard let context = tlsContext else { return }
        do {
            try context.reload()
            logger.info("TLS certificate reloaded", metadata: ["tls.certificate": "\(context.certificatePath)"])
        } catch {
            logger.error("TLS certificate not reloaded; the previous one stays", metadata: ["error": "\(error)"])
        }
    }

    /// SIGHUP → `reloadTLS()`, on a thread of its own that waits in sigwait (the signal is blocked
    /// in every thread by SignalWaiter.prepare, so it never interrupts a loop).
    func watchReloadSignal() {
        guard tlsContext != nil else { return }
        let thread = Thread { [weak self] in
            while ReloadSignal.wait() {
                guard let self else { return }
                self.reloadTLS()
            }
        }
        thread.name = "tls-reload"
        thread.start()
    }
}
