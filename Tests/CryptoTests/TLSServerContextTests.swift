// Start-up checks of the TLS certificate files: each problem gets its own one-line message
// (the integration tests cover expired and mismatched certificates made with openssl).
import Crypto
import Foundation
import XCTest

final class TLSServerContextTests: XCTestCase {
    private func message(cert: String, key: String) -> String? {
        do {
            _ = try TLSServerContext(certificatePath: cert, keyPath: key)
            return nil
        } catch {
            return error.message
        }
    }

    func testMissingCertificateIsNamed() {
        let m = message(cert: "/nonexistent/cert.pem", key: "/nonexistent/key.pem")
        XCTAssertEqual(m, "TLS certificate /nonexistent/cert.pem is missing")
    }

    func testNonPEMCertificateIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: cert))
        XCTAssertEqual(message(cert: cert, key: cert), "TLS certificate \(cert) is not a PEM certificate")
    }
}
