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
    public func serialize(into out: inout [UInt8], keepAlive: Bool, headRequest: Bool) {
        let code = (100...999).contains(status) ? status : 500
        let bodyless = code < 200 || code == 204 || code == 304
        out.reserveCapacity(out.count + 64 + headers.count * 32 + (bodyless || headRequest ? 0 : body.count))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(code).utf8)
        out.append(ASCII.space)
        out.append(contentsOf: HTTPStatus.reason(code).utf8)
        out.append(ASCII.cr); out.append(ASCII.lf)
        for field in headers {
            if ASCII.equalsIgnoringCase(field.name, "Content-Length") || ASCII.equalsIgnoringCase(field.name, "Transfer-Encoding") { continue }
            if !keepAlive && ASCII.equalsIgnoringCase(field.name, "Connection") { continue }
            Self.appendField(field.name, field.value, to: &out)
        }
        if !bodyless { Self.appendField("Content-Length", String(body.count), to: &out) }
        if !keepAlive { Self.appendField("Connection", "close", to: &out) }
        out.append(ASCII.cr); out.append(ASCII.lf)
        if !bodyless && !headRequest { out.append(contentsOf: body) }
    }

    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        appendSanitized(name, to: &out)
        out.append(UInt8(ascii: ":")); out.append(ASCII.space)
        appendSanitized(value, to: &out)
        out.append(ASCII.cr); out.append(ASCII.lf)
    }

    /// CR, LF and NUL become spaces, so no value can start a new header line. The common clean
    /// value is copied in bulk.
    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        let clean: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            for b in bytes where b == ASCII.cr || b == ASCII.lf || b == 0 { return false }
            return true
        }
        if clean == true {
            out.append(contentsOf: text.utf8)
            return
        }
        for b in text.utf8 {
            out.append(b == ASCII.cr || b == ASCII.lf || b == 0 ? ASCII.space : b)
        }
    }
}
