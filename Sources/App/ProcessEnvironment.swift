// The process environment as a dictionary, read once at start-up (Configuration.load).
@preconcurrency import Glibc

public enum ProcessEnvironment {
    public static func all() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                out[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p = p.advanced(by: 1)
        }
        return out
    }
}

/// One line to stderr (start-up errors).
public func printError(_ message: String) {
    let line = Array((message + "\n").utf8)
    line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}
