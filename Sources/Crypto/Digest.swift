// Hashes and MACs from OpenSSL's one-shot APIs (OpenSSL 3 deprecates the context APIs).
// Callers see [UInt8] only; no OpenSSL type leaves this module.
import COpenSSL

public enum Digest {
    /// SHA-1, used only for the WebSocket handshake's Sec-WebSocket-Accept (RFC 6455 §4.2.2).
    public static func sha1<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        let input = Array(data)
        input.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                _ = SHA1(inp.baseAddress, inp.count, o.baseAddress)
            }
        }
        return out
    }

    /// SHA-256 (used for ids derived from content).
    public static func sha256<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let input = Array(data)
        input.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                _ = SHA256(inp.baseAddress, inp.count, o.baseAddress)
            }
        }
        return out
    }

    /// HMAC-SHA256 over raw bytes: webhook signatures (X-Hub-Signature-256) and HS256 tokens.
    public static func hmacSHA256<Key: Collection<UInt8>, Bytes: Collection<UInt8>>(key: Key, data: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var outLen: UInt32 = 32
        let k = Array(key), d = Array(data)
        k.withUnsafeBufferPointer { kp in
            d.withUnsafeBufferPointer { dp in
                out.withUnsafeMutableBufferPointer { op in
                    _ = HMAC(EVP_sha256(), kp.baseAddress, Int32(kp.count), dp.baseAddress, dp.count, op.baseAddress, &outLen)
                }
            }
        }
        return out
    }

    /// Compares in time that depends only on the lengths, never on where the first difference is.
    public static func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}

public enum SecureRandom {
    /// Cryptographically strong random bytes (OpenSSL's RAND_bytes).
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { p in
            if RAND_bytes(p.baseAddress, Int32(count)) != 1 {
                // RAND_bytes fails only when the entropy source is broken; refuse to continue
                // rather than hand out predictable tokens.
                fatalError("RAND_bytes failed")
            }
        }
        return out
    }

    /// A random identifier as lowercase hex (request ids, epochs, secrets).
    public static func hexString(bytes count: Int) -> String {
        Hex.encode(bytes(count))
    }
}
