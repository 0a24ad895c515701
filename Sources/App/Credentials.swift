// The token secret and the server API key: from the environment, or generated once into the data
// directory (mode 0600) so `make run` works out of the box and is never open to anonymous clients.
@preconcurrency import Glibc
import Crypto
import HTTP
import Hub
import Reactor
import Server

public struct Credentials: Sendable {
    public let tokenSecret: [UInt8]
    public let apiKey: String
    /// True when the secret came from the data directory (generated now or on an earlier start).
    public let secretFromFile: Bool
    /// True when this start generated the secret: the one start that prints ready-made tokens.
    public let secretGenerated: Bool

    public static func load(config: Configuration) throws -> Credentials {
        try ensureDirectory(config.dataDir)
        var fromFile = false
        var generated = false
        let secret: String
        if let s = config.authSecret {
            secret = s
        } else {
            (secret, generated) = try readOrCreate(path: secretPath(config))
            fromFile = true
        }
        let key = try config.apiKey ?? readOrCreate(path: config.dataDir + "/api_key").value
        return Credentials(tokenSecret: Array(secret.utf8), apiKey: key, secretFromFile: fromFile, secretGenerated: generated)
    }

    /// The secret tokens are signed with, for `switchboard token`: SWITCHBOARD_AUTH_SECRET, else the
    /// server's `<data-dir>/auth_secret`. Never creates one: a secret made here would belong to no
    /// server, and every token signed with it would be refused with 401.
    public static func existingTokenSecret(config: Configuration) throws -> [UInt8] {
        if let s = config.authSecret { return Array(s.utf8) }
        let path = secretPath(config)
        guard let secret = readSecret(path: path) else {
            throw ConfigurationError(message: "no token secret: \(absolute(path)) does not exist and SWITCHBOARD_AUTH_SECRET is unset; "
                + "point --data-dir (or SWITCHBOARD_DATA_DIR) at the server's data directory")
        }
        return Array(secret.utf8)
    }

    static func secretPath(_ config: Configuration) -> String { config.dataDir + "/auth_secret" }

    /// The API-key and token checks every route uses.
    public var authenticator: Authenticator { Authenticator(tokenSecret: tokenSecret, apiKey: apiKey) }

    public func token(sub: String, role: Role, topics: [String], ttlSeconds: Int64) throws -> String {
        try Credentials.token(secret: tokenSecret, sub: sub, role: role, topics: topics, ttlSeconds: ttlSeconds)
    }

    /// A token valid for `ttlSeconds` (1 s to 10 years) from now.
    public static func token(secret: [UInt8], sub: String, role: Role, topics: [String], ttlSeconds: Int64) throws -> String {
        let patterns = try topics.map { t -> TopicPattern in
            guard let p = TopicPattern(t, allowingAll: role != .agent) else {
                throw ConfigurationError(message: "invalid topic pattern '\(t)'")
            }
            return p
        }
        guard let exp = TokenLifetime.expiry(nowSeconds: MonotonicTime.wallMilliseconds() / 1000, ttlSeconds: ttlSeconds) else {
            throw ConfigurationError(message: "invalid --ttl '\(ttlSeconds)': expected 1 to \(TokenLifetime.maxSeconds) seconds (10 years)")
        }
        let claims = TokenClaims(sub: sub, role: role, topics: patterns, exp: exp)
        return AccessToken.sign(claims: claims, secret: secret)
    }

    static func ensureDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw ConfigurationError(message: "cannot create data directory \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The first line of the file when it holds a usable secret (16 bytes or more).
    static func readSecret(path: String) -> String? {
        guard let existing = readFile(path) else { return nil }
        let trimmed = existing.trimmingOptionalWhitespace().split(separator: "\n").first.map(String.init) ?? ""
        return trimmed.utf8.count >= 16 ? trimmed : nil
    }

    /// The secret in `path`, or a new one written there (`created` says which).
    static func readOrCreate(path: String) throws -> (value: String, created: Bool) {
        if let existing = readSecret(path: path) { return (existing, false) }
        let value = SecureRandom.hexString(bytes: 32)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ConfigurationError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count, fsync(fd) == 0 else { throw ConfigurationError(message: "cannot write \(path)") }
        return (value, true)
    }

    /// `path` made absolute against the working directory, so a message says exactly where it looked.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        let base = String(cString: cwd)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return (base == "/" ? "" : base) + "/" + relative
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
            if out.count > 1 << 20 { break }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
