// Percent-decoding for query strings and path parameters. A malformed escape ("%zz", a lone "%")
// is kept literally rather than rejected, and invalid UTF-8 becomes U+FFFD: decoding never fails.

@usableFromInline
enum PercentDecoding {
    @usableFromInline
    static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.contains(UInt8(ascii: "%")) || (plusAsSpace && utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == UInt8(ascii: "%"), i + 2 < utf8.count, let hi = ASCII.hexValue(utf8[i + 1]), let lo = ASCII.hexValue(utf8[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusAsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
