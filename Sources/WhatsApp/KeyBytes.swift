// Byte-wise comparison of object keys (RFC 8259 §8.3 compares names code unit by code unit),
// without String's Unicode-equivalence rules and without iterating a UTF8View element by element.

enum KeyBytes {
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && compare(a, b) == 0
    }

    /// Negative, zero or positive as `a`'s UTF-8 bytes sort before, equal or after `b`'s.
    static func compare(_ a: String, _ b: String) -> Int {
        // Native strings (all that the parser and literals make) are contiguous UTF-8.
        let contiguous = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in compare(pa, pb) }
        }
        if let result = contiguous ?? nil { return result }
        return compare(Array(a.utf8), Array(b.utf8))
    }

    private static func compare<A: RandomAccessCollection, B: RandomAccessCollection>(_ a: A, _ b: B) -> Int
    where A.Element == UInt8, B.Element == UInt8, A.Index == Int, B.Index == Int {
        let n = min(a.count, b.count)
        var i = 0
        while i < n {
            let x = a[a.startIndex + i], y = b[b.startIndex + i]
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return a.count - b.count
    }
}
