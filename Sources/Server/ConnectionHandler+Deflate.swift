// permessage-deflate at the upgrade: the offer is negotiated here for every WebSocket endpoint
// (/ws, the echo endpoint, any other transport that upgrades through RouteResult.webSocket), so
// each gets compression without code of its own.
import HTTP
import Reactor
import WebSocket

extension ConnectionHandler {
    /// The negotiated parameters for this upgrade request, or nil (compression off, no
    /// acceptable offer): then the 101 names no extension and RSV1 stays a protocol error.
    func negotiateDeflate(_ request: HTTPRequest) -> PerMessageDeflateParameters? {
        guard server.settings.wsCompression else { return nil }
        return PerMessageDeflate.negotiate(request.headers["Sec-WebSocket-Extensions"])
    }

    /// Sets up frames in and out for the negotiated extension.
    func startWebSocketSession(maxMessage: Int, deflate: PerMessageDeflateParameters?) {
        frameParser = WebSocketFrameParser(requireMasked: true, maxFramePayload: maxMessage, allowsCompression: deflate != nil)
        session = WebSocketSession(maxMessageSize: maxMessage, inflater: deflate?.makeInflater())
        outboundDeflate = deflate.map { OutboundDeflate(windowBits: $0.serverMaxWindowBits, minBytes: server.settings.wsCompressMinBytes) }
    }

    /// An unmasked server frame, compressed when negotiated and the message is large enough.
    func encodeFrame(opcode: WebSocketOpcode, payload: [UInt8]) -> [UInt8] {
        if let deflate = outboundDeflate, opcode == .text || opcode == .binary, deflate.compresses(payloadCount: payload.count) {
            return payload.withUnsafeBytes {
                server.loopDeflaters[loop.index].compressedFrame(opcode: opcode, payload: $0, windowBits: deflate.windowBits)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        WebSocketFrameEncoder.append(opcode: opcode, payload: payload, to: &out)
        return out
    }
}
