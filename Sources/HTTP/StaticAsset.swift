// A file served from memory: its bytes, content type and a strong ETag, answering conditional
// GETs (If-None-Match) with 304 so a browser revalidates instead of downloading it again.

public struct StaticAsset: Sendable, Equatable {
    public let body: [UInt8]
    public let contentType: String
    /// Quoted, derived from the bytes: it changes exactly when the content does.
    public let etag: String
    public let cacheControl: String

    /// `no-cache` by default: browsers keep the file but ask every time, so a new build's asset is
    /// picked up at once and an unchanged one costs a 304.
    public init(body: [UInt8], contentType: String, cacheControl: String = "no-cache") {
        self.body = body
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.etag = "\"" + Self.fingerprint(body) + "\""
    }

    /// 200 with the body, or 304 without one when `ifNoneMatch` names the current ETag.
    public func response(ifNoneMatch: String?) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("ETag", etag)
        headers.add("Cache-Control", cacheControl)
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag: etag) {
            return HTTPResponse(status: 304, headers: headers)
        }
        headers.add("Content-Type", contentType)
        headers.add("X-Content-Type-Options", "nosniff")
        return HTTPResponse(status: 200, headers: headers, body: body)
    }

    /// RFC 9110 13.1.2: `*`, or a comma-separated list compared weakly (a `W/` prefix is ignored).
    static func matches(_ header: String, etag: String) -> Bool {
        for candidate in header.split(separator: ",") {
            var tag = candidate.drop(while: { $0 == " " || $0 == "\t" })
            while let last = tag.last, last == " " || last == "\t" { tag = tag.dropLast() }
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag == etag { return true }
        }
        return false
    }

    /// 64-bit FNV-1a in hex: enough to tell versions of a file apart (not a security check).
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + "-" + String(bytes.count, radix: 16)
    }
}
