// A pre-parse guard: measures how deeply arrays/objects nest in raw JSON bytes, so a hostile
// body like "[[[[…" is refused before a recursive parser can exhaust the stack.

enum NestingDepth {
    /// True when brackets outside strings nest deeper than `limit`. Does not validate JSON;
    /// unbalanced input is left for the parser to reject.
    static func exceeds(_ bytes: [UInt8], limit: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default: break
            }
        }
        return false
    }
}
