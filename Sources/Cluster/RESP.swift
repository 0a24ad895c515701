// RESP2, the Redis wire protocol, without I/O: a stateless reply parser in the picohttpparser
// style (give it the bytes received so far; it answers one complete value and how many bytes it
// took, "need more", or a defined error) and the command encoder. Bounded: a reply cannot make
// the parser allocate more than `RESPLimits` allow or recurse deeper than `maxDepth`.

public enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int64)
    /// nil: the null bulk string (`$-1`).
    case bulk([UInt8]?)
    /// nil: the null array (`*-1`).
    case array([RESPValue]?)

    public var integerValue: Int64? { if case .integer(let n) = self { return n }; return nil }
    public var bytesValue: [UInt8]? {
        switch self {
        case .bulk(let b): return b
        case .simple(let s): return Array(s.utf8)
        default: return nil
        }
    }
    public var stringValue: String? { bytesValue.map { String(decoding: $0, as: UTF8.self) } }
    public var arrayValue: [RESPValue]? { if case .array(let a) = self { return a }; return nil }
    public var isError: Bool { if case .error = self { return true }; return false }
}

public struct RESPLimits: Sendable {
    public var maxBulkBytes = 64 << 20
    public var maxArrayCount = 1 << 20
    public var maxDepth = 8
    /// Simple strings, errors and integers are one line; a longer line is an error.
    public var maxLineBytes = 64 << 10
    public init() {}
}

public enum RESPParseResult: Equatable {
    case value(RESPValue, consumed: Int)
    case needMore
    case invalid(String)
}

public enum RESPParser {
    /// Parses one value from the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: RESPLimits = RESPLimits()) -> RESPParseResult {
        var cursor = Cursor(bytes: bytes, limits: limits)
        do {
            guard let v = try cursor.value(depth: 0) else { return .needMore }
            return .value(v, consumed: cursor.index)
        } catch {
            return .invalid(error.reason)
        }
    }

    public static func parse(_ bytes: [UInt8], limits: RESPLimits = RESPLimits()) -> RESPParseResult {
        bytes.withUnsafeBytes { parse($0, limits: limits) }
    }

    private struct Failure: Error { let reason: String }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let limits: RESPLimits
        var index = 0

        /// nil: incomplete.
        mutating func value(depth: Int) throws(Failure) -> RESPValue? {
            guard depth <= limits.maxDepth else { throw Failure(reason: "nesting deeper than \(limits.maxDepth)") }
            guard index < bytes.count else { return nil }
            let type = bytes[index]
            index += 1
            switch type {
            case UInt8(ascii: "+"):
                guard let line = try line() else { return nil }
                return .simple(String(decoding: line, as: UTF8.self))
            case UInt8(ascii: "-"):
                guard let line = try line() else { return nil }
                return .error(String(decoding: line, as: UTF8.self))
            case UInt8(ascii: ":"):
                guard let line = try line() else { return nil }
                return .integer(try integer(line))
            case UInt8(ascii: "$"):
                guard let line = try line() else { return nil }
                let n = try integer(line)
                if n == -1 { return .bulk(nil) }
                guard n >= 0, n <= Int64(limits.maxBulkBytes) else { throw Failure(reason: "bulk length \(n) out of range") }
                let len = Int(n)
                guard bytes.count - index >= len + 2 else { return nil }
                guard bytes[index + len] == 13, bytes[index + len + 1] == 10 else { throw Failure(reason: "bulk string not ended by CRLF") }
                let body = Array(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + len)]))
                index += len + 2
                return .bulk(body)
            case UInt8(ascii: "*"):
                guard let line = try line() else { return nil }
                let n = try integer(line)
                if n == -1 { return .array(nil) }
                guard n >= 0, n <= Int64(limits.maxArrayCount) else { throw Failure(reason: "array length \(n) out of range") }
                var items: [RESPValue] = []
                // Reserve no more than the bytes left could hold (each item is at least 3 bytes),
                // so a huge announced count cannot allocate before its items arrive.
                items.reserveCapacity(min(Int(n), (bytes.count - index) / 3))
                for _ in 0..<n {
                    guard let item = try value(depth: depth + 1) else { return nil }
                    items.append(item)
                }
                return .array(items)
            default:
                throw Failure(reason: "unknown type byte \(type)")
            }
        }

        /// The bytes up to CRLF (CRLF consumed); nil when no CRLF yet.
        mutating func line() throws(Failure) -> UnsafeRawBufferPointer.SubSequence? {
            var i = index
            while i < bytes.count {
                if bytes[i] == 13 {
                    guard i + 1 < bytes.count else { return nil }
                    guard bytes[i + 1] == 10 else { throw Failure(reason: "CR not followed by LF") }
                    let line = bytes[index..<i]
                    index = i + 2
                    return line
                }
                if bytes[i] == 10 { throw Failure(reason: "LF without CR") }
                i += 1
                if i - index > limits.maxLineBytes { throw Failure(reason: "line longer than \(limits.maxLineBytes) bytes") }
            }
            if bytes.count - index > limits.maxLineBytes { throw Failure(reason: "line longer than \(limits.maxLineBytes) bytes") }
            return nil
        }

        func integer(_ line: UnsafeRawBufferPointer.SubSequence) throws(Failure) -> Int64 {
            var negative = false
            var digits = line[...]
            if digits.first == UInt8(ascii: "-") {
                negative = true
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 19 else { throw Failure(reason: "bad integer") }
            var n: Int64 = 0
            for d in digits {
                guard d >= 48, d <= 57 else { throw Failure(reason: "bad integer") }
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(d - 48))
                guard !o1, !o2 else { throw Failure(reason: "integer overflow") }
                n = s
            }
            return negative ? -n : n
        }
    }
}

public enum RESPEncoder {
    /// Appends one command as an array of bulk strings: `*N\r\n$len\r\narg\r\n...`.
    public static func appendCommand(_ args: [[UInt8]], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        out.append(contentsOf: String(args.count).utf8)
        out.append(contentsOf: [13, 10])
        for a in args {
            out.append(UInt8(ascii: "$"))
            out.append(contentsOf: String(a.count).utf8)
            out.append(contentsOf: [13, 10])
            out.append(contentsOf: a)
            out.append(contentsOf: [13, 10])
        }
    }

    public static func command(_ args: String...) -> [UInt8] {
        var out: [UInt8] = []
        appendCommand(args.map { Array($0.utf8) }, to: &out)
        return out
    }
}
