// Engine.IO protocol v4 packets (https://socket.io/docs/v4/engine-io-protocol/): one type digit
// then the data. On the polling transport several packets travel in one HTTP body, joined by the
// record separator 0x1E; a binary packet there is `b` + base64. On WebSocket each frame is one
// packet, and a binary frame is a binary message. Pure, no I/O.
import Crypto

public enum EngineIOPacketType: UInt8, Sendable, Equatable, CaseIterable {
    case open = 0, close, ping, pong, message, upgrade, noop

    var digit: UInt8 { UInt8(ascii: "0") + rawValue }
}

public struct EngineIOPacket: Sendable, Equatable {
    public var type: EngineIOPacketType
    public var data: [UInt8]
    /// A binary message (WebSocket binary frame, or `b<base64>` on polling).
    public var isBinary: Bool

    public init(_ type: EngineIOPacketType, _ data: [UInt8] = [], isBinary: Bool = false) {
        self.type = type
        self.data = data
        self.isBinary = isBinary
    }

    public init(_ type: EngineIOPacketType, _ text: String) {
        self.init(type, Array(text.utf8))
    }
}

public struct EngineIOParseError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

public enum EngineIOCodec {
    public static let recordSeparator: UInt8 = 0x1E

    /// One text packet (a WebSocket text frame, or one record of a polling payload).
    public static func decodeText(_ bytes: ArraySlice<UInt8>) -> Result<EngineIOPacket, EngineIOParseError> {
        guard let first = bytes.first else { return .failure(EngineIOParseError("empty packet")) }
        if first == UInt8(ascii: "b") {
            guard let decoded = Base64.decode(String(decoding: bytes.dropFirst(), as: UTF8.self)) else {
                return .failure(EngineIOParseError("binary packet is not valid base64"))
            }
            return .success(EngineIOPacket(.message, decoded, isBinary: true))
        }
        guard first >= UInt8(ascii: "0"), let type = EngineIOPacketType(rawValue: first - UInt8(ascii: "0")) else {
            return .failure(EngineIOParseError("unknown packet type"))
        }
        return .success(EngineIOPacket(type, Array(bytes.dropFirst())))
    }

    /// A polling POST body: one or more packets joined by 0x1E. All or nothing: one bad record
    /// refuses the whole payload (the session is then closed, as engine.io does on a parse error).
    public static func decodePayload(_ bytes: [UInt8]) -> Result<[EngineIOPacket], EngineIOParseError> {
        guard !bytes.isEmpty else { return .failure(EngineIOParseError("empty payload")) }
        var packets: [EngineIOPacket] = []
        for record in bytes.split(separator: recordSeparator, omittingEmptySubsequences: false) {
            switch decodeText(record) {
            case .success(let p): packets.append(p)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(packets)
    }

    /// The text form of a packet: the type digit and the data, or `b` + base64 for binary.
    public static func encodeText(_ packet: EngineIOPacket) -> [UInt8] {
        var out: [UInt8] = []
        appendText(packet, to: &out)
        return out
    }

    public static func appendText(_ packet: EngineIOPacket, to out: inout [UInt8]) {
        if packet.isBinary {
            out.append(UInt8(ascii: "b"))
            out.append(contentsOf: Base64.encode(packet.data).utf8)
        } else {
            out.append(packet.type.digit)
            out.append(contentsOf: packet.data)
        }
    }

    /// A polling response body: the packets' text forms joined by 0x1E.
    public static func encodePayload(_ packets: [EngineIOPacket]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, p) in packets.enumerated() {
            if i > 0 { out.append(recordSeparator) }
            appendText(p, to: &out)
        }
        return out
    }
}
