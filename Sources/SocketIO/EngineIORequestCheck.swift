// Which Engine.IO request an HTTP request is, or the error answer the reference server
// (engine.io's `verify` and `handshake`) gives it: 400 with `{"code":N,"message":".."}`.

public enum EngineIOError: Int, Error, Sendable, Equatable {
    case unknownTransport = 0
    case unknownSid = 1
    case badHandshakeMethod = 2
    case badRequest = 3
    case forbidden = 4
    case unsupportedProtocolVersion = 5

    public var message: String {
        switch self {
        case .unknownTransport: return "Transport unknown"
        case .unknownSid: return "Session ID unknown"
        case .badHandshakeMethod: return "Bad handshake method"
        case .badRequest: return "Bad request"
        case .forbidden: return "Forbidden"
        case .unsupportedProtocolVersion: return "Unsupported protocol version"
        }
    }

    public var status: Int { self == .forbidden ? 403 : 400 }

    /// `{"code":1,"message":"Session ID unknown"}`
    public var body: [UInt8] { Array(#"{"code":\#(rawValue),"message":"\#(message)"}"#.utf8) }
}

public enum EngineIORequest: Sendable, Equatable {
    /// No sid: a new session on this transport (GET polling, or a WebSocket upgrade).
    case handshake(EngineIOTransportKind)
    case poll(sid: String)
    case post(sid: String)
    /// A WebSocket upgrade of an existing polling session.
    case upgrade(sid: String)
}

public enum EngineIORequestCheck {
    /// `sessionTransport` looks a sid up: nil when no such session lives on this node.
    public static func classify(method: String, eio: String?, transport: String?, sid: String?, isWebSocketUpgrade: Bool,
                                sessionTransport: (String) -> EngineIOTransportKind?) -> Result<EngineIORequest, EngineIOError> {
        guard let transport, let kind = EngineIOTransportKind(rawValue: transport) else { return .failure(.unknownTransport) }
        if kind == .websocket && !isWebSocketUpgrade { return .failure(.badRequest) }
        if let sid {
            guard let current = sessionTransport(sid) else { return .failure(.unknownSid) }
            if kind == .websocket {
                return current == .polling ? .success(.upgrade(sid: sid)) : .failure(.badRequest)
            }
            guard current == .polling else { return .failure(.badRequest) }
            switch method {
            case "GET": return .success(.poll(sid: sid))
            case "POST": return .success(.post(sid: sid))
            default: return .failure(.badRequest)
            }
        }
        guard method == "GET" else { return .failure(.badHandshakeMethod) }
        guard eio == "4" else { return .failure(.unsupportedProtocolVersion) }
        return .success(.handshake(kind))
    }
}
