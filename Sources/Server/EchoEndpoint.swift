// The WebSocket echo endpoint, enabled only by --echo-path: conformance runs (Autobahn) and
// tests use it to exercise the protocol layer without the hub.

public final class EchoEndpoint: WebSocketEndpoint {
    /// Autobahn's 9.* cases send messages up to 16 MiB.
    static let maxMessageBytes = 16 << 20

    /// Serves the echo endpoint at `path` (one endpoint object shared by every connection: it
    /// keeps no state).
    public static func register(on server: Server, path: String) {
        let endpoint = EchoEndpoint()
        server.setMessageLimit(maxMessageBytes, for: endpoint)
        server.addRoute(.get, path) { ctx in webSocketUpgrade(ctx, to: endpoint) }
    }

    public func webSocketDidOpen(_ peer: WebSocketPeer) {}
    public func webSocket(_ peer: WebSocketPeer, didReceiveText text: [UInt8]) { peer.sendText(text) }
    public func webSocket(_ peer: WebSocketPeer, didReceiveBinary data: [UInt8]) { peer.sendBinary(data) }
    public func webSocketDidClose(_ peer: WebSocketPeer) {}
}
