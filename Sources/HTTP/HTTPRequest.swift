// A parsed request: the fields the parser extracted, plus query-string helpers.

public struct HTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request target exactly as sent.
    public var target: String
    /// `target` before the first '?', not percent-decoded.
    public var path: String
    /// `target` after the first '?', "" if there is none.
    public var query: String
    /// 1 for HTTP/1.1, 0 for HTTP/1.0.
    public var versionMinor: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the connection may carry another request after this one: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (and no `close`).
    public var keepAlive: Bool

    public init(method: HTTPMethod, target: String, versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], keepAlive: Bool? = nil) {
        self.method = method
        self.target = target
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.utf8.index(after: mark)...])
        } else {
            path = target
            query = ""
        }
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive ?? HTTPRequest.defaultKeepAlive(versionMinor: versionMinor, headers: headers)
    }

    /// For the parser, which has already split the target at its first '?'.
    init(method: HTTPMethod, target: String, path: String, query: String, versionMinor: Int, headers: HTTPHeaders, body: [UInt8], keepAlive: Bool) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    static func defaultKeepAlive(versionMinor: Int, headers: HTTPHeaders) -> Bool {
        if headers.containsToken("Connection", "close") { return false }
        return versionMinor >= 1 || headers.containsToken("Connection", "keep-alive")
    }

    /// The first value of query parameter `name` (names compare after decoding), percent-decoded
    /// with '+' as space; nil if absent. `?flag` yields "" for "flag".
    public func queryValue(_ name: String) -> String? {
        for item in queryItems where item.name == name { return item.value }
        return nil
    }

    /// Every `name=value` pair of the query in order, decoded; empty pieces ("a=1&&b=2") skipped.
    public var queryItems: [(name: String, value: String)] {
        query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { piece in
            let text = Substring(piece)
            if let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                return (name: PercentDecoding.decode(text[..<equals], plusAsSpace: true),
                        value: PercentDecoding.decode(text[text.utf8.index(after: equals)...], plusAsSpace: true))
            }
            return (name: PercentDecoding.decode(text, plusAsSpace: true), value: "")
        }
    }
}
