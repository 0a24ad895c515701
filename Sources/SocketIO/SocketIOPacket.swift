// Socket.IO protocol v5 packets (https://socket.io/docs/v4/socket-io-protocol/), carried in
// Engine.IO message packets: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]`.
// The decoder checks the payload's shape per type as the reference parser does
// (socket.io-parser's isPayloadValid). Pure, no I/O.
import JSON

public enum SocketIOPacketType: UInt8, Sendable, Equatable, CaseIterable {
    case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck
}

public struct SocketIOPacket: Sendable, Equatable {
    public var type: SocketIOPacketType
    public var namespace: String
    public var ackID: Int64?
    /// Binary attachments that follow (BINARY_EVENT / BINARY_ACK only).
    public var attachments: Int
    /// The payload as sent, nil when absent: an object for CONNECT, an array for events and acks.
    public var payload: JSONValue?

    public init(type: SocketIOPacketType, namespace: String = "/", ackID: Int64? = nil, attachments: Int = 0, payload: JSONValue? = nil) {
        self.type = type
        self.namespace = namespace
        self.ackID = ackID
        self.attachments = attachments
        self.payload = payload
    }

    /// An event's name (its first argument).
    public var eventName: String? {
        guard type == .event || type == .binaryEvent, case .array(let a)? = payload else { return nil }
        return a.first?.stringValue
    }

    /// An event's arguments after the name.
    public var eventArguments: [JSONValue] {
        guard case .array(let a)? = payload, !a.isEmpty else { return [] }
        return Array(a.dropFirst())
    }
}

public struct SocketIOParseError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

public enum SocketIOCodec {
    /// Event names the protocol keeps for itself (a client may not emit them).
    public static let reservedEvents: Set<String> = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]
    /// Bounds that keep a hostile packet cheap: ack ids fit in Int64 with room, attachments are few.
    public static let maxAttachments = 1000
    public static let maxNamespaceBytes = 256

    public static func decode(_ bytes: [UInt8]) -> Result<SocketIOPacket, SocketIOParseError> {
        guard let first = bytes.first, first >= UInt8(ascii: "0"),
              let type = SocketIOPacketType(rawValue: first - UInt8(ascii: "0")) else {
            return .failure(SocketIOParseError("unknown packet type"))
        }
        var i = 1
        var packet = SocketIOPacket(type: type)
        if type == .binaryEvent || type == .binaryAck {
            let start = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > start, i < bytes.count, bytes[i] == UInt8(ascii: "-"), i - start <= 4,
                  let n = Int(String(decoding: bytes[start..<i], as: UTF8.self)), n <= maxAttachments else {
                return .failure(SocketIOParseError("illegal attachments"))
            }
            packet.attachments = n
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "/") {
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: ",") { i += 1 }
            guard i - start <= maxNamespaceBytes else { return .failure(SocketIOParseError("namespace too long")) }
            packet.namespace = String(decoding: bytes[start..<i], as: UTF8.self)
            if i < bytes.count { i += 1 }  // the comma
        }
        if i < bytes.count, isDigit(bytes[i]) {
            let start = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i - start <= 15, let id = Int64(String(decoding: bytes[start..<i], as: UTF8.self)) else {
                return .failure(SocketIOParseError("invalid ack id"))
            }
            packet.ackID = id
        }
        if i < bytes.count {
            do {
                packet.payload = try JSONParser.parse(Array(bytes[i...]))
            } catch {
                return .failure(SocketIOParseError("invalid payload: \(error.message)"))
            }
        }
        guard isPayloadValid(packet) else { return .failure(SocketIOParseError("invalid payload")) }
        return .success(packet)
    }

    private static func isPayloadValid(_ p: SocketIOPacket) -> Bool {
        switch p.type {
        case .connect:
            if case .object? = p.payload { return true }
            return p.payload == nil
        case .disconnect:
            return p.payload == nil
        case .connectError:
            switch p.payload {
            case .object?, .string?: return true
            default: return false
            }
        case .event, .binaryEvent:
            guard case .array(let a)? = p.payload, let first = a.first else { return false }
            switch first {
            case .number: return true
            case .string(let name): return !reservedEvents.contains(name)
            default: return false
            }
        case .ack, .binaryAck:
            if case .array? = p.payload { return p.ackID != nil }
            return false
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    // MARK: encoding (server → client; the namespace is always "/", which is written as nothing)

    /// `0{"sid":"..","pid":".."}`
    public static func connect(sid: String, pid: String?) -> [UInt8] {
        var out: [UInt8] = Array(#"0{"sid":"#.utf8)
        JSONWriter.appendString(sid, to: &out)
        if let pid {
            out.append(contentsOf: #","pid":"#.utf8)
            JSONWriter.appendString(pid, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `4[/nsp,]{"message":".."}`
    public static func connectError(namespace: String = "/", message: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "4")]
        appendNamespace(namespace, to: &out)
        out.append(contentsOf: #"{"message":"#.utf8)
        JSONWriter.appendString(message, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `1`: the server disconnects the socket.
    public static func disconnect() -> [UInt8] { [UInt8(ascii: "1")] }

    /// `3<id>[<args>]`, each argument already encoded JSON.
    public static func ack(id: Int64, namespace: String = "/", arguments: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "3")]
        appendNamespace(namespace, to: &out)
        JSONWriter.appendInt(id, to: &out)
        out.append(UInt8(ascii: "["))
        for (i, a) in arguments.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: a)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// `2["<name>",<args>]`, each argument already encoded JSON.
    public static func appendEvent(name: String, arguments: [ArraySlice<UInt8>], to out: inout [UInt8]) {
        out.append(contentsOf: "2[".utf8)
        JSONWriter.appendString(name, to: &out)
        for a in arguments {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: a)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func appendNamespace(_ namespace: String, to out: inout [UInt8]) {
        guard namespace != "/" else { return }
        out.append(contentsOf: namespace.utf8)
        out.append(UInt8(ascii: ","))
    }
}
