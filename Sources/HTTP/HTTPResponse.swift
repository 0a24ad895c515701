// A response and its HTTP/1.1 wire form. The writer owns framing: it sets Content-Length and
// Connection itself so a handler cannot produce a response whose framing disagrees with its body.

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Appends the wire bytes to `out`.
    /// - Content-Length is written from `body.count` (any Content-Length or Transfer-Encoding in
    ///   `headers` is dropped), except for 1xx, 204 and 304, which get neither a length nor a body.
    /// - `Connection: close` replaces any Connection header when `!keepAlive`.
    /// - `headRequest`: headers (with the body's Content-Length) but no body.
    /// - A status outside 100...999 is written as 500; CR, LF and NUL inside header names or
    ///   values are written as spaces, so a header value can never split the response.
    /// - `extraField` is written after `headers`, as if it had been appended to them: the server
    ///   adds its X-Request-ID this way without copying a shared response's header list.
    public func serialize(into out: inout [UInt8], keepAlive: Bool, headRequest: Bool, extraField: (name: String, value: String)? = nil) {
        let code = (100...999).contains(status) ? status : 500
        let bodyless = code < 200 || code == 204 || code == 304
        out.reserveCapacity(out.count + 64 + headers.count * 32 + (bodyless || headRequest ? 0 : body.count))
        // Runs for every response: numbers are written as digits directly and strings are copied
        // from their contiguous bytes, with no temporary String or generic UTF8View append.
        Self.appendASCII("HTTP/1.1 ", to: &out)
        Self.appendDecimal(code, to: &out)
        out.append(ASCII.space)
        Self.appendSanitized(HTTPStatus.reason(code), to: &out)
        out.append(ASCII.cr); out.append(ASCII.lf)
        for field in headers {
            if ASCII.equalsIgnoringCase(field.name, "Content-Length") || ASCII.equalsIgnoringCase(field.name, "Transfer-Encoding") { continue }
            if !keepAlive && ASCII.equalsIgnoringCase(field.name, "Connection") { continue }
            Self.appendField(field.name, field.value, to: &out)
        }
        if let extraField { Self.appendField(extraField.name, extraField.value, to: &out) }
        if !bodyless {
            Self.appendASCII("Content-Length: ", to: &out)
            Self.appendDecimal(body.count, to: &out)
            out.append(ASCII.cr); out.append(ASCII.lf)
        }
        if !keepAlive { Self.appendASCII("Connection: close\r\n", to: &out) }
        out.append(ASCII.cr); out.append(ASCII.lf)
        if !bodyless && !headRequest { out.append(contentsOf: body) }
    }

    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        appendSanitized(name, to: &out)
        out.append(UInt8(ascii: ":")); out.append(ASCII.space)
        appendSanitized(value, to: &out)
        out.append(ASCII.cr); out.append(ASCII.lf)
    }

    /// A literal known to be clean ASCII.
    private static func appendASCII(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A non-negative integer in decimal.
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = max(value, 0)
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// CR, LF and NUL become spaces, so no value can start a new header line. The common clean
    /// value is copied in bulk.
    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            for b in bytes where b == ASCII.cr || b == ASCII.lf || b == 0 { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true { return }
        for b in text.utf8 {
            out.append(b == ASCII.cr || b == ASCII.lf || b == 0 ? ASCII.space : b)
        }
    }
}
