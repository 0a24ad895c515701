// Stand-ins for Crypto's OpenSSL-backed parts in the fuzz build, which must not link OpenSSL:
// topic epochs need some hex string, and token signatures are never checked by these targets.
public enum SecureRandom {
    public static func hexString(bytes: Int) -> String { String(repeating: "ab", count: bytes) }
}

public enum Digest {
    public static func hmacSHA256<Key: Collection<UInt8>, Bytes: Collection<UInt8>>(key: Key, data: Bytes) -> [UInt8] { [] }
    public static func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool { false }
}
