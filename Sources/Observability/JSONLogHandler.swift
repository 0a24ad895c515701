// A swift-log handler that writes one JSON object per line to stdout: ts (RFC 3339 with
// milliseconds), level, msg, service, correlation_id and the metadata as fields with dotted
// keys. Control characters are escaped, so a logged value can never forge a second line.
@preconcurrency import Glibc
import Logging
import Locks
import Synchronization

public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let service: String

    public init(label: String, service: String = "switchboard") {
        self.label = label
        self.service = service
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        LogOutput.write(render(event, timestamp: LogClock.rfc3339Now()))
    }

    /// One JSON line, newline included.
    func render(_ event: LogEvent, timestamp: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"ts":"#.utf8)
        LogText.appendJSONString(timestamp, to: &line)
        line.append(contentsOf: #","level":"#.utf8)
        LogText.appendJSONString(event.level.rawValue, to: &line)
        line.append(contentsOf: #","msg":"#.utf8)
        LogText.appendJSONString(event.message.description, to: &line)
        line.append(contentsOf: #","service":"#.utf8)
        LogText.appendJSONString(service, to: &line)
        var merged = metadata
        if let m = event.metadata { merged.merge(m) { _, new in new } }
        if merged["correlation_id"] == nil {
            line.append(contentsOf: #","correlation_id":null"#.utf8)
        }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: ","))
            LogText.appendJSONString(k, to: &line)
            line.append(UInt8(ascii: ":"))
            LogText.appendJSONValue(v, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }
}

/// Human-readable lines for a terminal: `time LEVEL msg key=value ...`.
public struct TextLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let m = event.metadata { merged.merge(m) { _, new in new } }
        var s = LogClock.rfc3339Now() + " " + event.level.rawValue.uppercased() + " " + LogText.escapeControl(event.message.description)
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
            s += " \(k)=\(LogText.escapeControl(v.description))"
        }
        s += "\n"
        LogOutput.write(Array(s.utf8))
    }
}

public enum LogSetup {
    /// Bootstraps swift-log once for the process (only the executable calls this).
    public static func bootstrap(format: String, level: String) {
        let lvl = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            if format == "json" {
                var h = JSONLogHandler(label: label)
                h.logLevel = lvl
                return h
            }
            var h = TextLogHandler(label: label)
            h.logLevel = lvl
            return h
        }
    }
}

enum LogOutput {
    /// Lines written: the lock's value (a Locked<Void> has no storage, and ThreadSanitizer then
    /// mistakes its empty access for one to the mutex pointer beside it).
    static let linesWritten = Locked<Int>(0)
    /// One write(2) per line, under a lock, so lines from different threads never interleave.
    static func write(_ bytes: [UInt8]) {
        linesWritten.withLock { count in
            count &+= 1
            bytes.withUnsafeBytes { p in
                var off = 0
                while off < p.count {
                    let n = Glibc.write(1, p.baseAddress! + off, p.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
        }
    }
}

enum LogClock {
    /// RFC 3339 UTC with milliseconds, e.g. 2026-11-30T02:14:05.123Z.
    static func rfc3339Now() -> String { RFC3339.format(milliseconds: RFC3339.nowMilliseconds()) }
}

public enum LogText {
    static let hex = Array("0123456789abcdef".utf8)

    public static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendJSONValue(_ v: Logger.MetadataValue, to out: inout [UInt8]) {
        switch v {
        case .string(let s): appendJSONString(s, to: &out)
        case .stringConvertible(let c): appendJSONString(c.description, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONValue(e, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let d):
            out.append(UInt8(ascii: "{"))
            for (i, (k, e)) in d.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                appendJSONValue(e, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// For text logs: control characters become visible escapes (no forged lines).
    public static func escapeControl(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                out += u == "\n" ? "\\n" : u == "\r" ? "\\r" : u == "\t" ? "\\t" : "\\u{\(String(u.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
