// A parsed HTTP/1.1 response head (status line and headers) as a client reads it: enough for
// the WebSocket upgrade and for framing keep-alive publish responses. No I/O.

struct HTTPHead {
    let status: Int
    let statusLine: String
    /// Lower-cased names, values trimmed, in order.
    let headers: [(name: String, value: String)]

    /// Offset just past the blank line ending the head, or nil if it has not arrived yet.
    static func endOfHead(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        guard n >= 4 else { return nil }
        var i = 0
        while i + 3 < n {
            if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i + 4 }
            i += 1
        }
        return nil
    }

    /// Parses a head (including its final blank line); nil if the status line is not HTTP/1.x NNN.
    init?(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next() else { return nil }
        let parts = first.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else { return nil }
        status = code
        statusLine = String(first)
        var list: [(String, String)] = []
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            list.append((name, value))
        }
        headers = list
    }

    func value(of lowercasedName: String) -> String? {
        headers.first { $0.name == lowercasedName }?.value
    }

    /// The body length of a response to a non-HEAD request: Content-Length, or nil when the
    /// response is chunked or has no length (the bench does not support those).
    var contentLength: Int? {
        if status == 204 || status == 304 || (100..<200).contains(status) { return 0 }
        if let te = value(of: "transfer-encoding"), te.lowercased().contains("chunked") { return nil }
        guard let cl = value(of: "content-length"), let n = Int(cl), n >= 0 else { return nil }
        return n
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
