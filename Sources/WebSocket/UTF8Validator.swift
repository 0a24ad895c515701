// Incremental UTF-8 validation for text messages (RFC 6455 §8.1), using Bjoern Hoehrmann's DFA
// (http://bjoern.hoehrmann.de/utf-8/decoder/dfa/). Being incremental lets a text message split
// across fragments, even mid code point, be checked as each fragment arrives, so an invalid
// message fails at its first bad fragment instead of after the whole message was buffered.

public struct UTF8Validator: Sendable {
    private static let accept: UInt8 = 0
    private static let reject: UInt8 = 12

    private var state: UInt8 = UTF8Validator.accept

    public init() {}

    /// True when every byte fed so far ends a complete code point (or nothing was fed).
    public var isComplete: Bool { state == Self.accept }

    public mutating func reset() { state = Self.accept }

    /// Feeds the next bytes of the stream. Returns false as soon as the stream cannot be valid
    /// UTF-8 any more; once false, it stays false until `reset()`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var s = state
        guard s != Self.reject else { return false }
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return true }
        var i = 0
        Self.table.withUnsafeBufferPointer { table in
            while i < count {
                // ASCII runs are the common case: skip 8 bytes at a time while between code points.
                if s == Self.accept {
                    while i &+ 8 <= count,
                          base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                        i &+= 8
                    }
                    if i >= count { break }
                }
                let byte = base.load(fromByteOffset: i, as: UInt8.self)
                let characterClass = table[Int(byte)]
                s = table[256 &+ Int(s) &+ Int(characterClass)]
                if s == Self.reject { break }
                i &+= 1
            }
        }
        state = s
        return s != Self.reject
    }

    /// Convenience for arrays (tests, close reasons).
    public mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Byte → character class (first 256 entries), then state + class → next state.
    /// States are multiples of 12: 0 = accept, 12 = reject.
    private static let table: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 00..1f
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 20..3f
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 40..5f
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 60..7f
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,  // 80..9f
        7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  // a0..bf
        8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // c0..df
        10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,  // e0..ff

        0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
        12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
        12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    ]
}
