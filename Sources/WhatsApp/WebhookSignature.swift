// Verifies Meta's webhook authenticity: the X-Hub-Signature-256 header on POST deliveries and the
// hub.verify_token handshake on GET. Both compare in constant time.
import Crypto

/// The outcome of checking a delivery's signature. Only `.valid` may be stored; everything else
/// is answered 401 by the caller.
public enum SignatureCheck: String, Sendable, Equatable {
    case valid
    /// No header at all (or an empty one).
    case missing
    /// A header that is not `sha256=<64 hex digits>`.
    case malformed
    /// Well-formed, but not the HMAC of these bytes under this secret.
    case mismatch
}

public enum WebhookSignature {
    /// The header Meta sends, for callers that look it up by name.
    public static let headerName = "X-Hub-Signature-256"

    /// Checks `header` against HMAC-SHA256(appSecret, body).
    ///
    /// `body` must be the bytes exactly as received: Meta escapes non-ASCII and `/`, so any
    /// re-serialised JSON produces a different MAC. An empty `appSecret` never validates (fail
    /// closed when the secret is not configured).
    public static func verify(body: [UInt8], header: String?, appSecret: [UInt8]) -> SignatureCheck {
        guard let header, !header.isEmpty else { return .missing }
        let trimmed = header.trimmingASCIIWhitespace()
        let prefix = "sha256="
        guard trimmed.utf8.count == prefix.utf8.count + 64,
              trimmed.lowercased().hasPrefix(prefix),
              let claimed = Hex.decode(trimmed.dropFirst(prefix.count)),
              claimed.count == 32
        else { return .malformed }
        guard !appSecret.isEmpty else { return .mismatch }
        let expected = Digest.hmacSHA256(key: appSecret, data: body)
        return Digest.constantTimeEquals(expected, claimed) ? .valid : .mismatch
    }
}

public enum VerifyHandshake {
    /// Returns the challenge to echo (200, text/plain) when `mode` is "subscribe" and `token`
    /// equals `expected`; nil means answer 403. An empty expected token never matches, so an
    /// unconfigured server cannot be subscribed by anyone.
    public static func check(mode: String?, token: String?, challenge: String?, expected: String) -> String? {
        guard mode == "subscribe", let token, let challenge, !expected.isEmpty else { return nil }
        guard Digest.constantTimeEquals(Array(token.utf8), Array(expected.utf8)) else { return nil }
        return challenge
    }
}

extension String {
    /// Header values may carry surrounding spaces or tabs (RFC 9110 §5.5); nothing else is trimmed.
    func trimmingASCIIWhitespace() -> Substring {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
