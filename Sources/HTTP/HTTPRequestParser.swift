// Incremental HTTP/1.1 request parser (RFC 9112): the strict front door against request
// smuggling and memory exhaustion. It does no I/O and keeps no copy of the input: complete lines
// are consumed and turned into fields; a partial line is left unconsumed for the caller to hand
// back with more data, and only its length is remembered so it is never rescanned.
//
// Choices where RFC 9112 leaves room (all refuse rather than guess):
// - CRLF only: a bare LF anywhere in the request line, headers, chunk lines or trailers is 400.
// - The request target must be printable ASCII (0x21-0x7E); anything else is 400.
// - Transfer-Encoding other than exactly one `chunked` is 501 unsupported_transfer_encoding;
//   Transfer-Encoding together with Content-Length, or two Content-Length fields (equal or not),
//   is 400 request_smuggling; a malformed Content-Length (empty, sign, comma list, overflow) is
//   400 bad_request. Two Host fields are 400.
// - Expect values other than 100-continue are ignored (no 417).

public enum HTTPParseResult: Sendable {
    case needMore
    case request(HTTPRequest)
    case error(HTTPParseError)
}

public struct HTTPRequestParser: Sendable {
    enum Phase: Sendable, Equatable {
        case requestLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
    }

    /// What one parsing step did; `parse` loops until a step needs more data, completes or fails.
    enum Step {
        case progress
        case needMore
        case complete
        case fail(HTTPParseError)
    }

    enum LineScan {
        /// A line ends with the LF at this index.
        case line(lf: Int)
        /// No LF yet; this many bytes of the line are available.
        case partial(length: Int)
    }

    /// RFC 9112 §2.2 lets a server skip a few empty lines before a request (left over from
    /// clients that send CRLF after a POST body); more than this is noise and is refused.
    static let maxLeadingEmptyLines = 8
    /// A chunk-size line is a size plus ignored extensions; nothing legitimate needs more.
    static let maxChunkSizeLineBytes = 4096
    /// 16 hex digits fill 64 bits; longer sizes (even zero-padded) are refused.
    static let maxChunkSizeHexDigits = 16

    public let limits: HTTPLimits

    private var phase: Phase = .requestLine
    private var failure: HTTPParseError?
    /// Bytes of the unconsumed partial line already searched for LF (so byte-by-byte input stays linear).
    private var partialLineScanned = 0
    private var leadingEmptyLines = 0

    // The request under construction.
    private var method: HTTPMethod = .get
    private var target = ""
    private var path = ""
    private var query = ""
    private var versionMinor = 1
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var headerBytes = 0
    private var headerCount = 0
    private var keepAlive = true

    /// Set when headers with `Expect: 100-continue` were parsed and the body is still to come;
    /// cleared by `acknowledgeContinue()` or when the request completes. Only HTTP/1.1 requests
    /// set it; other Expect values are ignored.
    public private(set) var wantsContinue = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// True once any byte of a request has been seen (consumed, or held back as a partial line)
    /// and the request is not yet complete; leading empty lines alone do not count. False once
    /// the parser has failed: nothing is pending any more.
    public var isMidRequest: Bool { failure == nil && (phase != .requestLine || partialLineScanned > 0) }

    /// Headers of the current request are parsed; its body is pending. False once the parser has failed.
    public var headersComplete: Bool {
        if failure != nil { return false }
        switch phase {
        case .requestLine, .headers: return false
        default: return true
        }
    }

    public mutating func acknowledgeContinue() { wantsContinue = false }

    /// Parses from the start of `bytes`; returns how many bytes it consumed and what it found.
    /// Incremental: the caller keeps unconsumed bytes and calls again with them plus new data. It
    /// returns after at most ONE complete request so pipelined requests come out one by one, in
    /// order. With `.error` the count is 0 and the parser is dead: every later call returns the
    /// same error (the caller answers with the error's status and closes).
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, result: HTTPParseResult) {
        if let failure { return (0, .error(failure)) }
        var cursor = 0
        while true {
            let step: Step
            switch phase {
            case .requestLine: step = parseRequestLine(bytes, &cursor)
            case .headers: step = parseFieldLine(bytes, &cursor, isTrailer: false)
            case .fixedBody(let remaining): step = readFixedBody(bytes, &cursor, remaining: remaining)
            case .chunkSize: step = parseChunkSize(bytes, &cursor)
            case .chunkData(let remaining): step = readChunkData(bytes, &cursor, remaining: remaining)
            case .chunkDataEnd: step = readChunkDataEnd(bytes, &cursor)
            case .trailers: step = parseFieldLine(bytes, &cursor, isTrailer: true)
            }
            switch step {
            case .progress: continue
            case .needMore: return (cursor, .needMore)
            case .complete: return (cursor, .request(finishRequest()))
            case .fail(let error):
                failure = error
                body = []
                headers = HTTPHeaders()
                wantsContinue = false
                return (0, .error(error))
            }
        }
    }

    // MARK: - Lines

    private mutating func scanLine(_ bytes: UnsafeRawBufferPointer, from cursor: Int) -> LineScan {
        var index = cursor + min(partialLineScanned, bytes.count - cursor)
        while index < bytes.count {
            if bytes[index] == ASCII.lf {
                partialLineScanned = 0
                return .line(lf: index)
            }
            index += 1
        }
        partialLineScanned = bytes.count - cursor
        return .partial(length: bytes.count - cursor)
    }

    /// The line's content end (excluding CRLF), or nil for a bare LF, which RFC 9112 lets a server
    /// accept but which is refused here: lenient line endings are a smuggling vector.
    private func contentEnd(_ bytes: UnsafeRawBufferPointer, lineStart: Int, lf: Int) -> Int? {
        lf > lineStart && bytes[lf - 1] == ASCII.cr ? lf - 1 : nil
    }

    private func exceeds(_ used: Int, _ adding: Int, limit: Int) -> Bool {
        let (sum, overflow) = used.addingReportingOverflow(adding)
        return overflow || sum > limit
    }

    // MARK: - Request line

    private mutating func parseRequestLine(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) -> Step {
        switch scanLine(bytes, from: cursor) {
        case .partial(let length):
            // A trailing CR may be the start of the CRLF, so it does not count yet.
            let content = length > 0 && bytes[bytes.count - 1] == ASCII.cr ? length - 1 : length
            return content > limits.maxRequestLineBytes ? .fail(.uriTooLong()) : .needMore
        case .line(let lf):
            let start = cursor
            let end = contentEnd(bytes, lineStart: start, lf: lf)
            if (end ?? lf) - start > limits.maxRequestLineBytes { return .fail(.uriTooLong()) }
            guard let end else { return .fail(.badRequest("line ends with a bare LF")) }
            cursor = lf + 1
            if end == start {
                leadingEmptyLines += 1
                return leadingEmptyLines > Self.maxLeadingEmptyLines ? .fail(.badRequest("too many empty lines before the request")) : .progress
            }
            return parseRequestLineFields(bytes, start: start, end: end)
        }
    }

    private mutating func parseRequestLineFields(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> Step {
        var index = start
        while index < end && ASCII.isTokenByte(bytes[index]) { index += 1 }
        let methodEnd = index
        guard methodEnd > start, methodEnd < end, bytes[methodEnd] == ASCII.space else {
            return .fail(.badRequest("malformed method"))
        }
        let targetStart = methodEnd + 1
        index = targetStart
        var queryMark: Int?
        while index < end && bytes[index] != ASCII.space {
            guard bytes[index] > 0x20 && bytes[index] < 0x7F else { return .fail(.badRequest("invalid byte in request target")) }
            if bytes[index] == UInt8(ascii: "?") && queryMark == nil { queryMark = index }
            index += 1
        }
        let targetEnd = index
        guard targetEnd > targetStart, targetEnd < end else { return .fail(.badRequest("malformed request line")) }
        let versionStart = targetEnd + 1
        guard let minor = parseVersion(bytes, start: versionStart, end: end) else {
            return .fail(.badRequest("malformed HTTP version"))
        }
        guard minor == 0 || minor == 1 else { return .fail(.versionNotSupported()) }
        method = HTTPMethod(text(bytes, from: start, end: methodEnd))
        target = text(bytes, from: targetStart, end: targetEnd)
        // Path and query are cut here, where the '?' was just seen, rather than by searching the
        // target string again.
        if let queryMark {
            path = text(bytes, from: targetStart, end: queryMark)
            query = text(bytes, from: queryMark + 1, end: targetEnd)
        } else {
            path = target
            query = ""
        }
        versionMinor = minor
        phase = .headers
        return .progress
    }

    /// Returns 0 or 1 for HTTP/1.0 and HTTP/1.1, -1 for any other well-formed HTTP/d.d, nil for garbage.
    private func parseVersion(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> Int? {
        guard end - start == 8 else { return nil }
        // Compared byte by byte: no array is built per request.
        guard bytes[start] == UInt8(ascii: "H"), bytes[start + 1] == UInt8(ascii: "T"), bytes[start + 2] == UInt8(ascii: "T"),
              bytes[start + 3] == UInt8(ascii: "P"), bytes[start + 4] == UInt8(ascii: "/") else { return nil }
        let major = bytes[start + 5], dot = bytes[start + 6], minor = bytes[start + 7]
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard isDigit(major), dot == UInt8(ascii: "."), isDigit(minor) else { return nil }
        guard major == UInt8(ascii: "1") else { return -1 }
        return minor == UInt8(ascii: "0") ? 0 : minor == UInt8(ascii: "1") ? 1 : -1
    }

    private func text(_ bytes: UnsafeRawBufferPointer, from start: Int, end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    // MARK: - Header and trailer fields

    private mutating func parseFieldLine(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, isTrailer: Bool) -> Step {
        switch scanLine(bytes, from: cursor) {
        case .partial(let length):
            return exceeds(headerBytes, length, limit: limits.maxHeaderBytes) ? .fail(.headersTooLarge("header section exceeds the limit")) : .needMore
        case .line(let lf):
            let start = cursor
            let lineBytes = lf + 1 - start
            if exceeds(headerBytes, lineBytes, limit: limits.maxHeaderBytes) { return .fail(.headersTooLarge("header section exceeds the limit")) }
            guard let end = contentEnd(bytes, lineStart: start, lf: lf) else { return .fail(.badRequest("line ends with a bare LF")) }
            headerBytes += lineBytes
            cursor = lf + 1
            if end == start { return isTrailer ? .complete : finishHeaders() }
            headerCount += 1
            if headerCount > limits.maxHeaderCount { return .fail(.headersTooLarge("too many header fields")) }
            return parseField(bytes, start: start, end: end, keep: !isTrailer)
        }
    }

    private mutating func parseField(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int, keep: Bool) -> Step {
        if ASCII.isWhitespace(bytes[start]) { return .fail(.badRequest("obsolete line folding")) }
        var index = start
        while index < end && ASCII.isTokenByte(bytes[index]) { index += 1 }
        let nameEnd = index
        guard nameEnd > start, nameEnd < end, bytes[nameEnd] == UInt8(ascii: ":") else {
            return .fail(.badRequest("malformed header field name"))
        }
        var valueStart = nameEnd + 1
        while valueStart < end && ASCII.isWhitespace(bytes[valueStart]) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart && ASCII.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        for position in valueStart..<valueEnd {
            let b = bytes[position]
            if (b < 0x20 && b != ASCII.tab) || b == 0x7F { return .fail(.badRequest("control character in header value")) }
        }
        if keep {
            headers.add(text(bytes, from: start, end: nameEnd), text(bytes, from: valueStart, end: valueEnd))
        }
        return .progress
    }

    /// Decides how the body is framed. Anything ambiguous is refused rather than guessed, since two
    /// parsers guessing differently is exactly how requests are smuggled past a proxy.
    private mutating func finishHeaders() -> Step {
        let framing = FramingFields(headers)
        if versionMinor == 1 && framing.hostCount == 0 { return .fail(.badRequest("HTTP/1.1 request without Host")) }
        if framing.hostCount > 1 { return .fail(.badRequest("more than one Host header")) }
        if framing.transferEncodingCount > 0 && framing.contentLengthCount > 0 {
            return .fail(.smuggling("both Transfer-Encoding and Content-Length"))
        }
        keepAlive = HTTPRequest.defaultKeepAlive(versionMinor: versionMinor, headers: headers)
        let maxBody = max(0, limits.maxBodyBytes)
        var chunked = false
        var length = 0
        if let transferEncoding = framing.firstTransferEncoding {
            if versionMinor == 0 { return .fail(.badRequest("Transfer-Encoding in an HTTP/1.0 request")) }
            guard framing.transferEncodingCount == 1, ASCII.equalsIgnoringCase(transferEncoding, "chunked") else {
                return .fail(.unsupportedTransferEncoding())
            }
            chunked = true
        } else if let contentLength = framing.firstContentLength {
            guard framing.contentLengthCount == 1 else { return .fail(.smuggling("more than one Content-Length")) }
            guard let value = Self.parseContentLength(contentLength) else { return .fail(.badRequest("malformed Content-Length")) }
            if value > maxBody { return .fail(.payloadTooLarge()) }
            length = value
        }
        if (chunked || length > 0) && versionMinor == 1, let expect = headers["Expect"], ASCII.equalsIgnoringCase(expect, "100-continue") {
            wantsContinue = true
        }
        if chunked {
            phase = .chunkSize
            return .progress
        }
        if length > 0 {
            body.reserveCapacity(length)
            phase = .fixedBody(remaining: length)
            return .progress
        }
        return .complete
    }

    /// Digits only: no sign, no whitespace inside, no comma list; nil on overflow.
    static func parseContentLength(_ value: String) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        for b in value.utf8 {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
            let (shifted, o1) = result.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            result = sum
        }
        return result
    }

    // MARK: - Bodies

    private mutating func appendBody(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, upTo remaining: Int) -> Int {
        let take = min(remaining, bytes.count - cursor)
        if take > 0 {
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + take)]).assumingMemoryBound(to: UInt8.self))
            cursor += take
        }
        return remaining - take
    }

    private mutating func readFixedBody(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, remaining: Int) -> Step {
        let left = appendBody(bytes, &cursor, upTo: remaining)
        if left == 0 { return .complete }
        phase = .fixedBody(remaining: left)
        return .needMore
    }

    private mutating func parseChunkSize(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) -> Step {
        switch scanLine(bytes, from: cursor) {
        case .partial(let length):
            return length > Self.maxChunkSizeLineBytes ? .fail(.badRequest("chunk size line too long")) : .needMore
        case .line(let lf):
            let start = cursor
            if lf - start > Self.maxChunkSizeLineBytes { return .fail(.badRequest("chunk size line too long")) }
            guard let end = contentEnd(bytes, lineStart: start, lf: lf) else { return .fail(.badRequest("line ends with a bare LF")) }
            cursor = lf + 1
            var index = start
            var size: UInt64 = 0
            while index < end, let digit = ASCII.hexValue(bytes[index]) {
                if index - start == Self.maxChunkSizeHexDigits { return .fail(.badRequest("chunk size has too many digits")) }
                size = size << 4 | UInt64(digit)
                index += 1
            }
            if index == start { return .fail(.badRequest("missing chunk size")) }
            if index < end {
                // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): ignored, but must start with ';'
                // and hold no control characters.
                while index < end && ASCII.isWhitespace(bytes[index]) { index += 1 }
                guard index < end, bytes[index] == UInt8(ascii: ";") else { return .fail(.badRequest("malformed chunk size")) }
                for position in index..<end {
                    let b = bytes[position]
                    if (b < 0x20 && b != ASCII.tab) || b == 0x7F { return .fail(.badRequest("control character in chunk extension")) }
                }
            }
            if size == 0 {
                phase = .trailers
                return .progress
            }
            let room = UInt64(max(0, max(0, limits.maxBodyBytes) - body.count))
            if size > room { return .fail(.payloadTooLarge()) }
            phase = .chunkData(remaining: Int(size))
            return .progress
        }
    }

    private mutating func readChunkData(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, remaining: Int) -> Step {
        let left = appendBody(bytes, &cursor, upTo: remaining)
        phase = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
        return left == 0 ? .progress : .needMore
    }

    private mutating func readChunkDataEnd(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) -> Step {
        let available = bytes.count - cursor
        if available == 0 { return .needMore }
        if bytes[cursor] != ASCII.cr { return .fail(.badRequest("chunk data not followed by CRLF")) }
        if available == 1 { return .needMore }
        if bytes[cursor + 1] != ASCII.lf { return .fail(.badRequest("chunk data not followed by CRLF")) }
        cursor += 2
        phase = .chunkSize
        return .progress
    }

    // MARK: - Completion

    private mutating func finishRequest() -> HTTPRequest {
        let request = HTTPRequest(method: method, target: target, path: path, query: query, versionMinor: versionMinor,
                                  headers: headers, body: body, keepAlive: keepAlive)
        phase = .requestLine
        partialLineScanned = 0
        leadingEmptyLines = 0
        headers = HTTPHeaders()
        body = []
        headerBytes = 0
        headerCount = 0
        wantsContinue = false
        return request
    }
}

/// The fields that decide a request's framing, counted in one pass over the headers (no array
/// per request, unlike looking each name up with `values`).
struct FramingFields {
    var hostCount = 0
    var transferEncodingCount = 0
    var contentLengthCount = 0
    var firstTransferEncoding: String?
    var firstContentLength: String?

    init(_ headers: HTTPHeaders) {
        for field in headers {
            if ASCII.equalsIgnoringCase(field.name, "Host") {
                hostCount += 1
            } else if ASCII.equalsIgnoringCase(field.name, "Transfer-Encoding") {
                transferEncodingCount += 1
                if firstTransferEncoding == nil { firstTransferEncoding = field.value }
            } else if ASCII.equalsIgnoringCase(field.name, "Content-Length") {
                contentLengthCount += 1
                if firstContentLength == nil { firstContentLength = field.value }
            }
        }
    }
}
