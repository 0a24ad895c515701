// Access tokens for WebSocket clients: compact JWTs signed with HS256, and the read/publish rules
// they grant.
import Crypto
import JSON

public enum Role: String, Sendable, Equatable {
    case agent, ops, service
}

/// What a verified token says. Serialized as `{"sub":..,"role":..,"topics":[..],"exp":..}`.
public struct TokenClaims: Sendable, Equatable {
    public var sub: String
    public var role: Role
    public var topics: [TopicPattern]
    /// Expiry, unix seconds. Required: a token that never expires cannot be revoked by waiting.
    public var exp: Int64

    public init(sub: String, role: Role, topics: [TopicPattern], exp: Int64) {
        self.sub = sub
        self.role = role
        self.topics = topics
        self.exp = exp
    }

    /// The topic must match one of the token's patterns; `alerts` and `system.*` also need ops.
    public func mayRead(topic: String) -> Bool {
        guard topics.contains(where: { $0.matches(topic) }) else { return false }
        if topic == "alerts" || topic.utf8.starts(with: "system.".utf8) { return role == .ops }
        return true
    }

    /// The subscription form of `mayRead`: the pattern must lie inside one of the token's
    /// patterns, and a pattern that could reach `alerts` or `system.*` needs ops.
    public func maySubscribe(_ pattern: TopicPattern) -> Bool {
        guard topics.contains(where: { $0.covers(pattern) }) else { return false }
        if let alerts = TopicPattern("alerts"), let system = TopicPattern("system.*"),
           pattern.overlaps(alerts) || pattern.overlaps(system) {
            return role == .ops
        }
        return true
    }

    /// Publishing over the socket is for backend services only.
    public var mayPublish: Bool { role == .service }
}

/// Why a token was refused. Codes are stable: "malformed", "bad_signature", "expired",
/// "bad_claims", "unsupported_alg".
public struct TokenError: Error, Sendable, Equatable {
    public let code: String
    public let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

public enum AccessToken {
    /// `{"alg":"HS256","typ":"JWT"}`, base64url without padding.
    private static let encodedHeader = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), urlSafe: true, padding: false)

    /// The HMAC key is the secret's bytes as given (the UTF-8 bytes of the configured secret).
    public static func sign(claims: TokenClaims, secret: [UInt8]) -> String {
        var payload: [UInt8] = []
        payload.append(contentsOf: #"{"sub":"#.utf8)
        JSONWriter.appendString(claims.sub, to: &payload)
        payload.append(contentsOf: #","role":"#.utf8)
        JSONWriter.appendString(claims.role.rawValue, to: &payload)
        payload.append(contentsOf: #","topics":["#.utf8)
        for (i, pattern) in claims.topics.enumerated() {
            if i > 0 { payload.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(pattern.description, to: &payload)
        }
        payload.append(contentsOf: #"],"exp":"#.utf8)
        JSONWriter.appendInt(claims.exp, to: &payload)
        payload.append(UInt8(ascii: "}"))
        let signingInput = encodedHeader + "." + Base64.encode(payload, urlSafe: true, padding: false)
        let mac = Digest.hmacSHA256(key: secret, data: Array(signingInput.utf8))
        return signingInput + "." + Base64.encode(mac, urlSafe: true, padding: false)
    }

    /// Checks, in order: shape, header (only HS256; `typ`, if present, must be "JWT"), signature
    /// (constant time), claims, expiry (`exp <= now` is expired). Tokens longer than 8 KiB are
    /// malformed, which bounds the work an unauthenticated client can cause.
    public static func verify(_ token: String, secret: [UInt8], now: Int64) -> Result<TokenClaims, TokenError> {
        guard token.utf8.count <= 8192 else { return .failure(TokenError("malformed", "token too long")) }
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            return .failure(TokenError("malformed", "token must have three non-empty parts"))
        }
        guard let headerBytes = base64URL(parts[0]), let header = try? JSONParser.parse(headerBytes, maxDepth: 4) else {
            return .failure(TokenError("malformed", "header is not base64url JSON"))
        }
        guard header["alg"]?.stringValue == "HS256" else {
            return .failure(TokenError("unsupported_alg", "only HS256 is accepted"))
        }
        if let typ = header["typ"], typ.stringValue != "JWT" {
            return .failure(TokenError("malformed", "typ must be JWT"))
        }
        guard let signature = base64URL(parts[2]) else {
            return .failure(TokenError("malformed", "signature is not base64url"))
        }
        let signingInput = token.utf8.prefix(parts[0].count + 1 + parts[1].count)
        let expected = Digest.hmacSHA256(key: secret, data: signingInput)
        guard Digest.constantTimeEquals(signature, expected) else {
            return .failure(TokenError("bad_signature", "signature does not match"))
        }
        guard let payloadBytes = base64URL(parts[1]), let payload = try? JSONParser.parse(payloadBytes, maxDepth: 4) else {
            return .failure(TokenError("malformed", "payload is not base64url JSON"))
        }
        let claims: TokenClaims
        switch decodeClaims(payload) {
        case let .success(c): claims = c
        case let .failure(e): return .failure(e)
        }
        guard claims.exp > now else { return .failure(TokenError("expired", "token expired")) }
        return .success(claims)
    }

    /// JWTs use unpadded base64url; padding or standard-alphabet characters are refused so one
    /// token has exactly one spelling.
    private static func base64URL(_ part: Substring.UTF8View) -> [UInt8]? {
        for c in part where c == UInt8(ascii: "=") || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") { return nil }
        return Base64.decode(Substring(part))
    }

    private static func decodeClaims(_ payload: JSONValue) -> Result<TokenClaims, TokenError> {
        guard let sub = payload["sub"]?.stringValue, !sub.isEmpty else {
            return .failure(TokenError("bad_claims", "sub must be a non-empty string"))
        }
        guard let roleName = payload["role"]?.stringValue, let role = Role(rawValue: roleName) else {
            return .failure(TokenError("bad_claims", "role must be agent, ops or service"))
        }
        guard let exp = payload["exp"]?.intValue else {
            return .failure(TokenError("bad_claims", "exp must be an integer"))
        }
        guard let list = payload["topics"]?.arrayValue else {
            return .failure(TokenError("bad_claims", "topics must be an array of patterns"))
        }
        var topics: [TopicPattern] = []
        for entry in list {
            guard let text = entry.stringValue, let pattern = TopicPattern(text, allowingAll: role != .agent) else {
                return .failure(TokenError("bad_claims", "topics must be an array of valid patterns"))
            }
            topics.append(pattern)
        }
        return .success(TokenClaims(sub: sub, role: role, topics: topics, exp: exp))
    }
}
