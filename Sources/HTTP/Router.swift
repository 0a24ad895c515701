// Maps (method, path) to a handler. Patterns are literal segments and `{name}` parameters; a path
// matches a pattern only with the same number of segments, so trailing slashes are significant:
// "/api/messages/" does not match "/api/messages" (404), which keeps one URL per resource.

public enum RouteMatch<Handler> {
    case found(Handler, params: [String: String], pattern: String)
    /// The path exists with other methods: answer 405 with `Allow: allow.joined(separator: ", ")`.
    /// Also returned for OPTIONS on a path without an explicit OPTIONS route, so the caller can
    /// answer 204 with the same Allow header.
    case methodNotAllowed(allow: [String])
    case notFound
}

extension RouteMatch: Sendable where Handler: Sendable {}

// `match` runs for every request: it and what it touches are inlinable, so the server's
// Router<RouteHandler> is specialized in the Server module instead of instantiating generic
// metadata and copying routes through value witnesses on each call.
public struct Router<Handler> {
    @usableFromInline
    enum Segment: Equatable, Sendable {
        case literal(String)
        case parameter(String)
    }

    @usableFromInline
    struct Route {
        @usableFromInline let method: HTTPMethod
        @usableFromInline let pattern: String
        @usableFromInline let segments: [Segment]
        @usableFromInline let handler: Handler

        @usableFromInline
        init(method: HTTPMethod, pattern: String, segments: [Segment], handler: Handler) {
            self.method = method
            self.pattern = pattern
            self.segments = segments
            self.handler = handler
        }
    }

    @usableFromInline var routes: [Route] = []
    /// Routes without parameters by their exact path: the common case is one dictionary lookup
    /// instead of matching every pattern (a literal-only route is always the most specific).
    @usableFromInline var literalRoutes: [String: [Int]] = [:]

    public init() {}

    /// pattern like "/api/conversations/{wa_id}/messages"; a {name} matches one non-empty segment
    /// (percent-decoded into params). Adding the same method and pattern again replaces the handler.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { piece -> Segment in
            if piece.count > 2, piece.hasPrefix("{"), piece.hasSuffix("}") {
                return .parameter(String(piece.dropFirst().dropLast()))
            }
            return .literal(String(piece))
        }
        let route = Route(method: method, pattern: pattern, segments: segments, handler: handler)
        if let existing = routes.firstIndex(where: { $0.method == method && $0.segments == segments }) {
            routes[existing] = route
        } else {
            routes.append(route)
            if !segments.contains(where: { if case .parameter = $0 { return true } else { return false } }) {
                literalRoutes[pattern, default: []].append(routes.count - 1)
            }
        }
    }

    /// HEAD falls back to the GET route. `allow` lists the methods of the path (GET implies HEAD;
    /// always includes OPTIONS), sorted. When several patterns match ("/a/{id}" and "/a/new"), the
    /// one with a literal at the first differing segment wins, whatever the order they were added in.
    @inlinable
    public func match(_ method: HTTPMethod, path: String) -> RouteMatch<Handler> {
        if let indices = literalRoutes[path] {
            for i in indices where routes[i].method == method {
                return .found(routes[i].handler, params: [:], pattern: routes[i].pattern)
            }
            if method == .head {
                for i in indices where routes[i].method == .get {
                    return .found(routes[i].handler, params: [:], pattern: routes[i].pattern)
                }
            }
        }
        let pieces = path.split(separator: "/", omittingEmptySubsequences: false)
        let candidates = routes.filter { Self.matches($0.segments, pieces) }
        if candidates.isEmpty { return .notFound }
        let chosen = best(candidates.filter { $0.method == method })
            ?? (method == .head ? best(candidates.filter { $0.method == .get }) : nil)
        if let chosen {
            var params: [String: String] = [:]
            for (segment, piece) in zip(chosen.segments, pieces) {
                if case .parameter(let name) = segment {
                    params[name] = PercentDecoding.decode(piece, plusAsSpace: false)
                }
            }
            return .found(chosen.handler, params: params, pattern: chosen.pattern)
        }
        var allow = Set(candidates.map(\.method.name))
        if allow.contains("GET") { allow.insert("HEAD") }
        allow.insert("OPTIONS")
        return .methodNotAllowed(allow: allow.sorted())
    }

    @inlinable
    static func matches(_ segments: [Segment], _ pieces: [Substring]) -> Bool {
        guard segments.count == pieces.count else { return false }
        for (segment, piece) in zip(segments, pieces) {
            switch segment {
            case .literal(let text): if piece != text { return false }
            case .parameter: if piece.isEmpty { return false }
            }
        }
        return true
    }

    @inlinable
    func best(_ routes: [Route]) -> Route? {
        routes.min { Self.isMoreSpecific($0.segments, than: $1.segments) }
    }

    @inlinable
    static func isMoreSpecific(_ a: [Segment], than b: [Segment]) -> Bool {
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}

extension Router: Sendable where Handler: Sendable {}
extension Router.Route: Sendable where Handler: Sendable {}
