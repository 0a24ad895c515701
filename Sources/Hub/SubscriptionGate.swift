// The access checks of one connection's requests, without I/O: the token decides which topics it
// may read and whether it may publish, and a connection holds at most `maxSubscriptions`
// patterns, so one client cannot grow the server's indexes (and topic table) without bound.

/// Why a request was refused: a protocol error code and a message for the client.
public struct ClientRefusal: Error, Sendable, Equatable {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Not thread-safe: owned by the connection.
public struct SubscriptionGate: Sendable {
    public static let maxSubscriptions = 1000
    public let claims: TokenClaims
    /// Patterns this connection holds.
    public private(set) var held = Set<TopicPattern>()

    public init(claims: TokenClaims) {
        self.claims = claims
    }

    /// All or nothing: records `topics` as held and returns nil, or refuses the whole request.
    public mutating func admit(_ topics: [TopicPattern]) -> ClientRefusal? {
        if let denied = topics.first(where: { !claims.maySubscribe($0) }) {
            return ClientRefusal(code: "forbidden", message: "token does not allow \(denied.description)")
        }
        let added = Set(topics).subtracting(held)
        guard held.count + added.count <= Self.maxSubscriptions else {
            return ClientRefusal(code: "bad_request", message: "at most \(Self.maxSubscriptions) subscriptions per connection")
        }
        held.formUnion(added)
        return nil
    }

    public mutating func release(_ topics: [TopicPattern]) {
        held.subtract(topics)
    }

    /// Nil when the token may publish.
    public var publishRefusal: ClientRefusal? {
        claims.mayPublish ? nil : ClientRefusal(code: "forbidden", message: "only tokens with role service may publish")
    }
}
