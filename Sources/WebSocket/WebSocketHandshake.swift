// The opening handshake (RFC 6455 §4.2): validating a client's upgrade request and writing the
// 101 answer. The only file of the module that needs Crypto (SHA-1, base64), so the frame code
// can be compiled without it (the fuzz target does). Takes plain values, not HTTP types, so the
// module does not depend on the HTTP parser.
import Crypto

public struct WebSocketHandshakeError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status to answer with: 400, or 426 for an unsupported protocol version.
    public let status: Int
    /// Stable, machine-readable: "websocket_bad_method", "websocket_bad_http_version",
    /// "websocket_missing_upgrade", "websocket_missing_connection_upgrade", "websocket_bad_key",
    /// "websocket_missing_version", "websocket_unsupported_version".
    public let code: String
    public let message: String
    /// Headers the error response must carry (Sec-WebSocket-Version: 13 with a 426).
    public let headers: [(String, String)]

    public init(status: Int, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }
}

public enum WebSocketHandshake {
    private static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// base64(sha1(key + GUID)), the Sec-WebSocket-Accept value (§4.2.2).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(Digest.sha1(Array((key + guid).utf8)))
    }

    /// Validates an upgrade request from plain header lookups (`header` is called with the
    /// canonical names "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version";
    /// the lookup is expected to be case-insensitive and to join repeated headers with ", ").
    /// Returns the Sec-WebSocket-Accept value on success.
    public static func validate(method: String, versionMinor: Int,
                                header: (String) -> String?) -> Result<String, WebSocketHandshakeError> {
        guard method == "GET" else {
            return .failure(badRequest("websocket_bad_method", "a WebSocket upgrade must be a GET"))
        }
        guard versionMinor >= 1 else {
            return .failure(badRequest("websocket_bad_http_version", "a WebSocket upgrade needs HTTP/1.1"))
        }
        guard let upgrade = header("Upgrade"), containsToken(upgrade, "websocket") else {
            return .failure(badRequest("websocket_missing_upgrade", "Upgrade: websocket is required"))
        }
        guard let connection = header("Connection"), containsToken(connection, "upgrade") else {
            return .failure(badRequest("websocket_missing_connection_upgrade", "Connection: Upgrade is required"))
        }
        guard let rawKey = header("Sec-WebSocket-Key") else {
            return .failure(badRequest("websocket_bad_key", "Sec-WebSocket-Key is required"))
        }
        let key = trimmed(rawKey)
        guard isValidKey(key) else {
            return .failure(badRequest("websocket_bad_key", "Sec-WebSocket-Key must be base64 of 16 bytes"))
        }
        guard let version = header("Sec-WebSocket-Version") else {
            return .failure(badRequest("websocket_missing_version", "Sec-WebSocket-Version is required"))
        }
        guard trimmed(version) == "13" else {
            return .failure(WebSocketHandshakeError(
                status: 426, code: "websocket_unsupported_version",
                message: "only WebSocket version 13 is supported",
                headers: [("Sec-WebSocket-Version", "13")]))
        }
        return .success(acceptValue(forKey: key))
    }

    /// The 101 response head. Extra headers whose name or value contains CR or LF are left out,
    /// so a header value can never inject lines into the response.
    public static func switchingProtocolsResponse(accept: String, extraHeaders: [(String, String)]) -> [UInt8] {
        var text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Accept: \(accept)\r\n"
        for (name, value) in extraHeaders where !hasLineBreak(name) && !hasLineBreak(value) && !name.isEmpty {
            text += "\(name): \(value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    private static func badRequest(_ code: String, _ message: String) -> WebSocketHandshakeError {
        WebSocketHandshakeError(status: 400, code: code, message: message)
    }

    /// A 16-byte nonce in standard base64 is exactly 22 characters plus "==".
    private static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        for byte in bytes[0..<22] {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                continue
            default:
                return false
            }
        }
        return Base64.decode(key)?.count == 16
    }

    /// Whether a comma-separated header value lists `token` (ASCII case-insensitive).
    static func containsToken(_ value: String, _ token: String) -> Bool {
        let wanted = Array(token.utf8).map(lowercased)
        for item in value.utf8.split(separator: UInt8(ascii: ",")) {
            let candidate = trimmedBytes(Array(item)).map(lowercased)
            if candidate == wanted { return true }
        }
        return false
    }

    private static func trimmed(_ value: String) -> String {
        String(decoding: trimmedBytes(Array(value.utf8)), as: UTF8.self)
    }

    private static func trimmedBytes(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var slice = bytes[...]
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { slice.removeFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { slice.removeLast() }
        return slice
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static func hasLineBreak(_ text: String) -> Bool {
        text.utf8.contains(UInt8(ascii: "\r")) || text.utf8.contains(UInt8(ascii: "\n"))
    }
}
