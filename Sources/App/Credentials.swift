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

    public static func load(config: Configuration) throws -> Credentials {
        try ensureDirectory(config.dataDir)
        var fromFile = false
        let secret: String
        if let s = config.authSecret {
            secret = s
        } else {
            secret = try readOrCreate(path: config.dataDir + "/auth_secret")
            fromFile = true
        }
        let key = try config.apiKey ?? readOrCreate(path: config.dataDir + "/api_key")
        return Credentials(tokenSecret: Array(secret.utf8), apiKey: key, secretFromFile: fromFile)
    }

    /// The API-key and token checks every route uses.
    public var authenticator: Authenticator { Authenticator(tokenSecret: tokenSecret, apiKey: apiKey) }

    public func token(sub: String, role: Role, topics: [String], ttlSeconds: Int64) throws -> String {
        let patterns = try topics.map { t -> TopicPattern in
            guard let p = TopicPattern(t, allowingAll: role != .agent) else {
                throw ConfigurationError(message: "invalid topic pattern '\(t)'")
            }
            return p
        }
        let claims = TokenClaims(sub: sub, role: role, topics: patterns, exp: MonotonicTime.wallMilliseconds() / 1000 + ttlSeconds)
        return AccessToken.sign(claims: claims, secret: tokenSecret)
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

    static func readOrCreate(path: String) throws -> String {
        if let existing = readFile(path) {
            let trimmed = existing.trimmingOptionalWhitespace().split(separator: "\n").first.map(String.init) ?? ""
            if trimmed.utf8.count >= 16 { return trimmed }
        }
        let value = SecureRandom.hexString(bytes: 32)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ConfigurationError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count, fsync(fd) == 0 else { throw ConfigurationError(message: "cannot write \(path)") }
        return value
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
