// The recursive-descent scanner behind JSONParser: one pass over raw bytes, every index checked
// against the buffer's count before it is read.

struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var pos = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    mutating func expectEnd() throws(JSONError) {
        skipWhitespace()
        guard pos == bytes.count else { throw .invalid("unexpected data after the document", at: pos) }
    }

    /// Parses one value. With `build == false` it only validates and returns `.null`, which is
    /// how topLevelMembers skips member values without allocating them.
    mutating func value(depth: Int, build: Bool) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard pos < bytes.count else { throw .invalid("unexpected end of input", at: pos) }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1, build: build)
        case UInt8(ascii: "["): return try array(depth: depth + 1, build: build)
        case UInt8(ascii: "\""):
            pos += 1
            let s = try string(build: build)
            return build ? .string(s) : .null
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(build: build)
        default: throw .invalid("unexpected character", at: pos)
        }
    }

    mutating func topLevelMembers() throws(JSONError) -> [(key: String, range: Range<Int>)] {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "{") else {
            throw .invalid("expected a top-level object", at: pos)
        }
        guard maxDepth >= 1 else { throw tooDeep() }
        pos += 1
        var members: [(key: String, range: Range<Int>)] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return members }
        while true {
            let key = try memberKey()
            skipWhitespace()
            let start = pos
            _ = try value(depth: 1, build: false)
            members.append((key: key, range: start..<pos))
            if try endOfContainer(closer: UInt8(ascii: "}")) { return members }
        }
    }

    private func tooDeep() -> JSONError {
        JSONError(code: "too_deep", message: "nesting deeper than \(maxDepth) at byte \(pos)", offset: pos)
    }

    private mutating func array(depth: Int, build: Bool) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw tooDeep() }
        pos += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return build ? .array(elements) : .null }
        while true {
            let element = try value(depth: depth, build: build)
            if build { elements.append(element) }
            if try endOfContainer(closer: UInt8(ascii: "]")) { return build ? .array(elements) : .null }
        }
    }

    private mutating func object(depth: Int, build: Bool) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw tooDeep() }
        pos += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return build ? .object(members) : .null }
        while true {
            let key = try memberKey(build: build)
            let member = try value(depth: depth, build: build)
            if build { members.append((key, member)) }
            if try endOfContainer(closer: UInt8(ascii: "}")) { return build ? .object(members) : .null }
        }
    }

    /// Reads `"key" :` and leaves the position before the value.
    private mutating func memberKey(build: Bool = true) throws(JSONError) -> String {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw .invalid("expected a string key", at: pos) }
        pos += 1
        let key = try string(build: build)
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw .invalid("expected ':'", at: pos) }
        pos += 1
        return key
    }

    /// After an element: true at the closer, false after a comma (another element must follow).
    private mutating func endOfContainer(closer: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard pos < bytes.count else { throw .invalid("unexpected end of input", at: pos) }
        let b = bytes[pos]
        pos += 1
        if b == closer { return true }
        if b == UInt8(ascii: ",") { return false }
        throw .invalid("expected ',' or '\(Character(Unicode.Scalar(closer)))'", at: pos - 1)
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard bytes.count - pos >= n else { throw .invalid("invalid literal", at: pos) }
        let p = word.utf8Start
        for i in 0..<n where bytes[pos + i] != p[i] { throw .invalid("invalid literal", at: pos) }
        pos += n
    }

    private mutating func number(build: Bool) throws(JSONError) -> JSONValue {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count else { throw .invalid("digit expected", at: pos) }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
        } else if isDigit(bytes[pos]) {
            skipDigits()
        } else {
            throw .invalid("digit expected", at: pos)
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw .invalid("digit expected after '.'", at: pos) }
            skipDigits()
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw .invalid("digit expected in exponent", at: pos) }
            skipDigits()
        }
        guard build else { return .null }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self))
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
    }

    /// Reads a string body; the position is just past the opening quote and ends past the closing
    /// one. Runs without escapes are copied in one piece (or not at all when unescaped).
    private mutating func string(build: Bool) throws(JSONError) -> String {
        var runStart = pos
        var decoded: [UInt8] = []
        var sawEscape = false
        while true {
            guard pos < bytes.count else { throw .invalid("unterminated string", at: pos) }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<pos])
                pos += 1
                guard build else { return "" }
                if !sawEscape { return String(decoding: run, as: UTF8.self) }
                decoded.append(contentsOf: run)
                return String(decoding: decoded, as: UTF8.self)
            } else if b == UInt8(ascii: "\\") {
                if build { decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<pos])) }
                sawEscape = true
                try escape(into: &decoded, build: build)
                runStart = pos
            } else if b < 0x20 {
                throw .invalid("unescaped control character in string", at: pos)
            } else if b < 0x80 {
                pos += 1
            } else {
                pos += try utf8SequenceLength(at: pos)
            }
        }
    }

    /// Decodes one escape starting at the backslash.
    private mutating func escape(into out: inout [UInt8], build: Bool) throws(JSONError) {
        let at = pos
        guard pos + 1 < bytes.count else { throw .invalid("unterminated escape", at: at) }
        let c = bytes[pos + 1]
        pos += 2
        let simple: UInt8
        switch c {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xDC00 && scalar <= 0xDFFF { throw .invalid("lone low surrogate", at: at) }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                    throw .invalid("lone high surrogate", at: at)
                }
                pos += 2
                let low = try hex4()
                guard low >= 0xDC00 && low <= 0xDFFF else { throw .invalid("lone high surrogate", at: at) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            if build { appendUTF8(scalar, to: &out) }
            return
        default:
            throw .invalid("invalid escape", at: at)
        }
        if build { out.append(simple) }
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard bytes.count - pos >= 4 else { throw .invalid("truncated \\u escape", at: pos) }
        var v: UInt32 = 0
        for i in 0..<4 {
            let c = bytes[pos + i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw .invalid("invalid hex digit in \\u escape", at: pos + i)
            }
            v = v << 4 | d
        }
        pos += 4
        return v
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Length of the well-formed multi-byte UTF-8 sequence at `i` (Unicode Table 3-7), or an error.
    private func utf8SequenceLength(at i: Int) throws(JSONError) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw .invalid("invalid UTF-8", at: i)
        }
        guard bytes.count - i >= length else { throw .invalid("truncated UTF-8", at: i) }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { throw .invalid("invalid UTF-8", at: i) }
        var k = 2
        while k < length {
            guard bytes[i + k] & 0xC0 == 0x80 else { throw .invalid("invalid UTF-8", at: i) }
            k += 1
        }
        return length
    }
}
