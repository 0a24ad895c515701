// Array elements as byte ranges: lets a caller split an already-encoded array (the hub's batch
// frames, a Socket.IO event's arguments) into its elements without re-encoding any of them.

extension JSONParser {
    /// Validates the whole document (which must be an array) and returns each element's byte
    /// range within `bytes`, in order.
    public static func topLevelElements(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONError) -> [Range<Int>] {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        let elements = try scanner.topLevelElements()
        try scanner.expectEnd()
        return elements
    }

    public static func topLevelElements(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONError) -> [Range<Int>] {
        let result: Result<[Range<Int>], JSONError> = bytes.withUnsafeBytes { raw in
            do throws(JSONError) {
                return .success(try topLevelElements(raw, maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension JSONScanner {
    mutating func topLevelElements() throws(JSONError) -> [Range<Int>] {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "[") else {
            throw .invalid("expected a top-level array", at: pos)
        }
        guard maxDepth >= 1 else {
            throw JSONError(code: "too_deep", message: "nesting deeper than \(maxDepth) at byte \(pos)", offset: pos)
        }
        pos += 1
        var ranges: [Range<Int>] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return ranges }
        while true {
            skipWhitespace()
            let start = pos
            _ = try value(depth: 1, build: false)
            ranges.append(start..<pos)
            skipWhitespace()
            guard pos < bytes.count else { throw .invalid("unexpected end of input", at: pos) }
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: "]") { return ranges }
            guard b == UInt8(ascii: ",") else { throw .invalid("expected ',' or ']'", at: pos - 1) }
        }
    }
}
