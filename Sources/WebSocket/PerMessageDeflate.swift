// permessage-deflate negotiation (RFC 7692 §5, §7.1): reads the client's Sec-WebSocket-Extensions
// offers and picks the first one this server can honour. No I/O, no zlib: the result only says
// which parameters the connection runs with and what to answer.
//
// The answer always carries server_no_context_takeover: every message the server sends is
// compressed from scratch, which is what lets one compressed hub frame go to every subscriber
// that negotiated the same window. An offer that cannot be honoured (unknown or repeated
// parameter, bad value) is skipped; when none is left, the connection simply runs uncompressed.

public struct PerMessageDeflateParameters: Sendable, Equatable, Hashable {
    /// The LZ77 window the server's messages may use (server_max_window_bits, 8...15).
    public var serverMaxWindowBits: Int
    /// The client starts every message with an empty window (client_no_context_takeover).
    public var clientNoContextTakeover: Bool
    /// The client's own window limit if it offered one with a value (we decode any window, so
    /// this is informational).
    public var clientMaxWindowBits: Int?

    public init(serverMaxWindowBits: Int = 15, clientNoContextTakeover: Bool = false, clientMaxWindowBits: Int? = nil) {
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientNoContextTakeover = clientNoContextTakeover
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The Sec-WebSocket-Extensions value of the 101 answer.
    public var responseHeaderValue: String {
        var text = "permessage-deflate; server_no_context_takeover"
        if clientNoContextTakeover { text += "; client_no_context_takeover" }
        if serverMaxWindowBits != 15 { text += "; server_max_window_bits=\(serverMaxWindowBits)" }
        return text
    }
}

public enum PerMessageDeflate {
    public static let extensionName = "permessage-deflate"

    /// The first acceptable permessage-deflate offer in `header` (every Sec-WebSocket-Extensions
    /// value of the request, joined with ", "), or nil: then the answer names no extension.
    public static func negotiate(_ header: String?) -> PerMessageDeflateParameters? {
        guard let header else { return nil }
        for offer in ExtensionOffers.parse(header) where offer.name == extensionName {
            if let accepted = accept(offer.parameters) { return accepted }
        }
        return nil
    }

    /// Honours one offer's parameters, or nil when any of them cannot be (RFC 7692 §7.1: a
    /// parameter given twice, an unknown one, a value where none belongs or a bad window).
    static func accept(_ parameters: [(name: String, value: String?)]) -> PerMessageDeflateParameters? {
        var result = PerMessageDeflateParameters()
        var seen = Set<String>()
        for (name, value) in parameters {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }  // always answered, whether offered or not
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                result.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let value, let bits = windowBits(value) else { return nil }
                result.serverMaxWindowBits = bits
            case "client_max_window_bits":
                // Without a value the client only says it could honour a limit; we set none.
                if let value {
                    guard let bits = windowBits(value) else { return nil }
                    result.clientMaxWindowBits = bits
                }
            default:
                return nil
            }
        }
        return result
    }

    /// 8...15 written as plain decimal digits without a leading zero (§7.1.2.1).
    private static func windowBits(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard (1...2).contains(bytes.count), bytes.allSatisfy({ (0x30...0x39).contains($0) }), bytes[0] != 0x30,
              let bits = Int(text), (8...15).contains(bits) else { return nil }
        return bits
    }
}

/// Sec-WebSocket-Extensions parsing (RFC 6455 §9.1): `name; param; param=value, name2 ...`,
/// values as tokens or quoted strings. Names are compared lower-cased; malformed offers come out
/// with a name nobody matches, so they are declined rather than failing the handshake.
enum ExtensionOffers {
    struct Offer {
        var name: String
        var parameters: [(name: String, value: String?)]
    }

    static func parse(_ header: String) -> [Offer] {
        var offers: [Offer] = []
        for element in split(Array(header.utf8), on: UInt8(ascii: ",")) {
            let parts = split(element, on: UInt8(ascii: ";"))
            guard let first = parts.first else { continue }
            let name = lowercasedTrimmed(first)
            if name.isEmpty { continue }
            var parameters: [(name: String, value: String?)] = []
            var valid = isToken(name)
            for part in parts.dropFirst() {
                let item = trim(part)
                if let eq = item.firstIndex(of: UInt8(ascii: "=")) {
                    let key = lowercasedTrimmed(Array(item[item.startIndex..<eq]))
                    guard let value = unquote(trim(Array(item[(eq + 1)...]))) else { valid = false; continue }
                    parameters.append((key, value))
                    valid = valid && isToken(key) && isToken(value)
                } else {
                    let key = lowercasedTrimmed(item)
                    parameters.append((key, nil))
                    valid = valid && isToken(key)
                }
            }
            offers.append(Offer(name: valid ? name : "", parameters: parameters))
        }
        return offers
    }

    /// Splits on `separator` outside double quotes.
    private static func split(_ bytes: [UInt8], on separator: UInt8) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var current: [UInt8] = []
        var quoted = false, escaped = false
        for b in bytes {
            if quoted {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { quoted = false }
                current.append(b)
            } else if b == separator {
                parts.append(current)
                current = []
            } else {
                if b == UInt8(ascii: "\"") { quoted = true }
                current.append(b)
            }
        }
        parts.append(current)
        return parts
    }

    private static func trim(_ bytes: [UInt8]) -> [UInt8] {
        var slice = bytes[...]
        while let f = slice.first, f == 0x20 || f == 0x09 { slice.removeFirst() }
        while let l = slice.last, l == 0x20 || l == 0x09 { slice.removeLast() }
        return Array(slice)
    }

    private static func lowercasedTrimmed(_ bytes: [UInt8]) -> String {
        String(decoding: trim(bytes).map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// A token as is, or a quoted string without its quotes and escapes; nil if unterminated.
    private static func unquote(_ bytes: [UInt8]) -> String? {
        guard bytes.first == UInt8(ascii: "\"") else { return String(decoding: bytes, as: UTF8.self) }
        guard bytes.count >= 2, bytes.last == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        var escaped = false
        for b in bytes[1..<(bytes.count - 1)] {
            if escaped { out.append(b); escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else { out.append(b) }
        }
        return escaped ? nil : String(decoding: out, as: UTF8.self)
    }

    /// RFC 7230 tchar only.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { b in
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(b)
            }
        }
    }
}
