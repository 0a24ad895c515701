// Who is calling: the server API key or a signed client token, from `Authorization: Bearer`.
// Every route that accepts "the API key or a token with one of these roles" asks here, so the
// check and its error answers are written once.
import Crypto
import HTTP
import Hub
import Reactor

public struct Authenticator: Sendable {
    public let tokenSecret: [UInt8]
    public let apiKey: String

    public enum Caller: Sendable {
        case apiKey
        case token(TokenClaims)
    }

    public init(tokenSecret: [UInt8], apiKey: String) {
        self.tokenSecret = tokenSecret
        self.apiKey = apiKey
    }

    /// Constant-time check of `Authorization: Bearer <api key>`.
    public func isAPIKey(_ authorization: String?) -> Bool {
        guard let given = Self.bearer(authorization) else { return false }
        return Digest.constantTimeEquals(Array(given.utf8), Array(apiKey.utf8))
    }

    /// The token's claims, or 401 naming why it was rejected.
    public func verify(token: String) -> Result<TokenClaims, APIError> {
        switch AccessToken.verify(token, secret: tokenSecret, now: MonotonicTime.wallMilliseconds() / 1000) {
        case .success(let claims): return .success(claims)
        case .failure(let e): return .failure(.unauthorized("token rejected: \(e.code)"))
        }
    }

    /// The API key, or a valid token whose role is in `roles` (403 for another role).
    public func caller(_ request: HTTPRequest, roles: Set<Role>) -> Result<Caller, APIError> {
        let auth = request.headers["Authorization"]
        if isAPIKey(auth) { return .success(.apiKey) }
        guard let bearer = Self.bearer(auth) else { return .failure(.unauthorized("Authorization: Bearer <token> required")) }
        switch verify(token: bearer) {
        case .failure(let e): return .failure(e)
        case .success(let claims):
            guard roles.contains(claims.role) else { return .failure(.forbidden("role \(claims.role.rawValue) may not do this")) }
            return .success(.token(claims))
        }
    }

    /// nil when the caller may go on; the error to answer otherwise.
    public func authorize(_ request: HTTPRequest, roles: Set<Role>) -> APIError? {
        if case .failure(let e) = caller(request, roles: roles) { return e }
        return nil
    }

    public static func bearer(_ header: String?) -> String? {
        guard let h = header else { return nil }
        let parts = h.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingOptionalWhitespace()
    }
}
