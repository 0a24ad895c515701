// The client side of the WebSocket opening handshake (RFC 6455 §4.1): the upgrade request and
// the check of the server's answer. No I/O, so it is tested on byte strings.
import Crypto
import WebSocket

struct ClientHandshake {
    let key: String
    let request: [UInt8]

    init(endpoint: Endpoint, extraHeaders: [(String, String)] = []) {
        key = Base64.encode(SecureRandom.bytes(16))
        var text = "GET \(endpoint.target) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\n"
        text += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        request = Array(text.utf8)
    }

    struct Failure: Error, CustomStringConvertible, Equatable {
        /// Stable: "handshake_status" (not 101), "handshake_accept" (wrong or missing
        /// Sec-WebSocket-Accept), "handshake_malformed", "handshake_too_large".
        let code: String
        let message: String
        var description: String { "\(code): \(message)" }
    }

    enum Outcome: Equatable {
        case needMore
        /// The response head was `headLength` bytes; frames may follow in the same read.
        case upgraded(headLength: Int)
        case failed(Failure)
    }

    static let maxHeadBytes = 16 * 1024

    /// Looks for a complete response head at the start of `bytes` and checks it.
    func check(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let end = HTTPHead.endOfHead(bytes) else {
            return bytes.count > Self.maxHeadBytes
                ? .failed(Failure(code: "handshake_too_large", message: "no end of response head in \(bytes.count) bytes"))
                : .needMore
        }
        guard let head = HTTPHead(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) else {
            return .failed(Failure(code: "handshake_malformed", message: "unreadable response head"))
        }
        guard head.status == 101 else {
            return .failed(Failure(code: "handshake_status", message: "status \(head.status): \(head.statusLine)"))
        }
        let expected = WebSocketHandshake.acceptValue(forKey: key)
        guard head.value(of: "sec-websocket-accept") == expected else {
            return .failed(Failure(code: "handshake_accept", message: "Sec-WebSocket-Accept missing or wrong"))
        }
        return .upgraded(headLength: end)
    }

    func check(_ bytes: [UInt8]) -> Outcome { bytes.withUnsafeBytes { check($0) } }
}
