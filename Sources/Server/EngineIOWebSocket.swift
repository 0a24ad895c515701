// The WebSocket transport of an Engine.IO session: the endpoint on the upgraded connection, and
// the session's handle on it. An upgrade may land on another loop than the session's: input is
// then posted to the session's loop and output to the connection's.
import Reactor
import Synchronization
import WebSocket

/// The session's handle on its WebSocket. Used on the session's loop.
final class LinkedWebSocket: @unchecked Sendable {
    private let peer: WebSocketPeer
    private let sameLoop: Bool
    /// For a connection on another loop: its queue length after the last write we posted (an
    /// upper bound, since it only drains between writes).
    private let remoteQueued = Atomic<Int>(0)
    private let remoteWritten = Atomic<Int>(0)

    init(peer: WebSocketPeer, sessionLoop: EventLoop) {
        self.peer = peer
        sameLoop = peer.loop === sessionLoop
    }

    var queuedBytes: Int { sameLoop ? peer.queuedBytes : remoteQueued.load(ordering: .relaxed) }
    var bytesWritten: Int { sameLoop ? peer.bytesWritten : remoteWritten.load(ordering: .relaxed) }

    func sendText(_ text: [UInt8]) {
        onPeerLoop { link in
            link.peer.sendText(text)
        }
    }

    func send(_ frames: SharedBytes) {
        onPeerLoop { link in link.peer.sendFrame(frames) }
    }

    func close(code: UInt16, reason: String) {
        onPeerLoop { link in link.peer.close(code: code, reason: reason) }
    }

    /// A slow consumer: what is queued would delay the close indefinitely, so it is dropped.
    func closeDiscardingOutput(code: UInt16, reason: String) {
        onPeerLoop { link in link.peer.closeDiscardingOutput(code: code, reason: reason) }
    }

    private func onPeerLoop(_ body: @escaping (LinkedWebSocket) -> Void) {
        if sameLoop {
            body(self)
            return
        }
        let box = UncheckedBox(body)
        peer.loop.execute { [self] in
            box.value(self)
            remoteQueued.store(peer.queuedBytes, ordering: .relaxed)
            remoteWritten.store(peer.bytesWritten, ordering: .relaxed)
        }
    }
}

/// The endpoint of a WebSocket carrying an Engine.IO session, directly (`transport=websocket`)
/// or as a probe that upgrades a polling session.
final class EngineIOWebSocketEndpoint: WebSocketEndpoint {
    private let session: EngineIOConnection
    private let isProbe: Bool
    private var link: LinkedWebSocket?

    init(session: EngineIOConnection, isProbe: Bool) {
        self.session = session
        self.isProbe = isProbe
    }

    func webSocketDidOpen(_ peer: WebSocketPeer) {
        let link = LinkedWebSocket(peer: peer, sessionLoop: session.loop)
        self.link = link
        let probe = isProbe
        session.onLoop { s in
            guard !s.isClosed else { return link.close(code: WebSocketCloseCode.normal, reason: "") }
            if probe { s.probeStarted(link) } else { s.attachWebSocket(link) }
        }
    }

    func webSocket(_ peer: WebSocketPeer, didReceiveText text: [UInt8]) {
        guard let link else { return }
        session.onLoop { $0.webSocketText(text, from: link) }
    }

    func webSocket(_ peer: WebSocketPeer, didReceiveBinary data: [UInt8]) {
        guard let link else { return }
        session.onLoop { $0.webSocketBinary(data, from: link) }
    }

    func webSocketDidClose(_ peer: WebSocketPeer) {
        guard let link else { return }
        session.onLoop { $0.webSocketClosed(link) }
    }
}
