// Request methods. Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET but `.other("get")`.

public enum HTTPMethod: Hashable, Sendable {
    case get, head, post, put, delete, patch, options
    case other(String)

    /// The method token as sent on the wire.
    public var name: String {
        switch self {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .delete: return "DELETE"
        case .patch: return "PATCH"
        case .options: return "OPTIONS"
        case .other(let token): return token
        }
    }

    /// Maps the common tokens to their cases, so `HTTPMethod("GET") == .get`; any other token
    /// (including "get") becomes `.other`.
    public init(_ token: String) {
        switch token {
        case "GET": self = .get
        case "HEAD": self = .head
        case "POST": self = .post
        case "PUT": self = .put
        case "DELETE": self = .delete
        case "PATCH": self = .patch
        case "OPTIONS": self = .options
        default: self = .other(token)
        }
    }
}
