// The zlib inflater as the session's permessage-deflate inflater, and the one constructor the
// connection code calls once the extension is negotiated.
import Deflate

extension MessageInflater: WebSocketMessageInflating {
    public func inflateFrame(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8], limit: Int) -> WebSocketInflateOutcome {
        Self.outcome(inflate(input, appendingTo: &out, limit: limit))
    }

    public func finishInflating(appendingTo out: inout [UInt8], limit: Int) -> WebSocketInflateOutcome {
        Self.outcome(finishMessage(appendingTo: &out, limit: limit))
    }

    private static func outcome(_ o: InflateOutcome) -> WebSocketInflateOutcome {
        switch o {
        case .ok: return .ok
        case .tooBig: return .tooBig
        case .corrupt: return .corrupt
        }
    }
}

extension PerMessageDeflateParameters {
    /// The inbound inflater this negotiation calls for (no zlib memory until a compressed message arrives).
    public func makeInflater() -> any WebSocketMessageInflating {
        MessageInflater(keepsContext: !clientNoContextTakeover)
    }
}
