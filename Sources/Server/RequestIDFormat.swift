// Request ids are "<process prefix>-<counter in lowercase hex>", e.g. "3f9a0c1b22de-1a". One is
// made for every request without an id of its own, so the string is written in one step into
// its own storage (no radix conversion into a temporary, no concatenation).

enum RequestIDFormat {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `prefix` (ASCII), a dash, then `counter` in lowercase hex without leading zeros.
    static func make(prefix: [UInt8], counter: UInt64) -> String {
        let digits = counter == 0 ? 1 : (UInt64.bitWidth - counter.leadingZeroBitCount + 3) / 4
        return String(unsafeUninitializedCapacity: prefix.count + 1 + digits) { out in
            var i = 0
            for b in prefix {
                out[i] = b
                i += 1
            }
            out[i] = UInt8(ascii: "-")
            var n = counter
            var position = i + digits
            repeat {
                out[position] = hexDigits[Int(n & 0xF)]
                n >>= 4
                position -= 1
            } while position > i
            return i + 1 + digits
        }
    }
}
