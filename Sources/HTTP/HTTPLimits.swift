// Size limits the request parser enforces before it buffers anything, so a peer cannot make a
// connection hold more memory than these numbers allow.

public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line (method, target, version; without CRLF). Exceeding it answers 414.
    public var maxRequestLineBytes: Int
    /// Largest header section (every field line with its CRLF, plus the final CRLF; chunked
    /// trailers count too). Exceeding it answers 431.
    public var maxHeaderBytes: Int
    /// Most header fields (trailers count too). Exceeding it answers 431.
    public var maxHeaderCount: Int
    /// Largest body. Checked against Content-Length as soon as the headers are parsed, and
    /// against the running total while decoding chunks. Exceeding it answers 413.
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 32768, maxHeaderCount: Int = 100, maxBodyBytes: Int = 4 << 20) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
