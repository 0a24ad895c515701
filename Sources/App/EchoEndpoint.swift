// The WebSocket echo endpoint, enabled only by --echo-path: conformance runs (Autobahn) and
// tests use it to exercise the protocol layer without the hub.

final class EchoEndpoint: WebSocketEndpoint {
    /// Autobahn's 9.* cases send messages up to 16 MiB.
    static let maxMessageBytes = 16 << 20

    func webSocketDidOpen(_ peer: WebSocketPeer) {}
    func webSocket(_ peer: WebSocketPeer, didReceiveText text: [UInt8]) { peer.sendText(text) }
    func webSocket(_ peer: WebSocketPeer, didReceiveBinary data: [UInt8]) { peer.sendBinary(data) }
    func webSocketDidClose(_ peer: WebSocketPeer) {}
}
