// XOR masking (RFC 6455 §5.3), shared by the parser (unmasking) and the encoder (masking).

enum WebSocketMasking {
    /// Writes `source` XOR the repeating 4-byte key into `destination` (at least `source.count`
    /// bytes; the two may be the same memory). Works eight bytes at a time, then the tail per byte.
    static func apply(key: (UInt8, UInt8, UInt8, UInt8), from source: UnsafeRawBufferPointer,
                      to destination: UnsafeMutableRawBufferPointer) {
        let count = min(source.count, destination.count)
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        // The key loaded in memory order, twice: independent of endianness, no allocation.
        let half = withUnsafeBytes(of: key) { $0.loadUnaligned(as: UInt32.self) }
        let word = UInt64(half) | UInt64(half) << 32
        var i = 0
        while i &+ 8 <= count {
            let value = src.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ word
            dst.storeBytes(of: value, toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        while i < count {
            let k: UInt8
            switch i & 3 {
            case 0: k = key.0
            case 1: k = key.1
            case 2: k = key.2
            default: k = key.3
            }
            dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self) ^ k, toByteOffset: i, as: UInt8.self)
            i &+= 1
        }
    }
}
