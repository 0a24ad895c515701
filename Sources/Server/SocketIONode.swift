// What the Socket.IO endpoint shares on one node: the Engine.IO sessions by sid (a polling
// client's requests land on any loop, so the table is locked), the sessions kept for connection
// state recovery, and per loop the last hub frame transcoded, so a frame is turned into Socket.IO
// packets once per loop and format, not once per socket.
import Hub
import Locks
import Reactor
import SocketIO
import WebSocket

/// The Socket.IO endpoint's settings (App fills them from SWITCHBOARD_* variables).
public struct SocketIOSettings: Sendable {
    public var engine = EngineIOSettings()
    public var eventNames = EventNameMap()
    /// How long a dropped socket's subscriptions are kept for recovery (Socket.IO's
    /// maxDisconnectionDuration default).
    public var maxDisconnectionMs: Int64 = 120_000
    /// A session must connect its namespace within this time (Socket.IO's connectTimeout).
    public var connectTimeoutMs: Int64 = 45_000
    /// Dropped sockets kept at once; the oldest go first.
    public var maxSavedSessions = 100_000

    public init() {}
}

final class SocketIONode: @unchecked Sendable {
    // `sessions` and `saved` are locked; each cache slot is touched only on its own loop.
    let settings: SocketIOSettings
    let fanout: HubFanout
    let auth: Authenticator
    let sessions = Locked<[String: EngineIOConnection]>([:])
    private let saved = Locked<SavedSocketShelf>(SavedSocketShelf())
    private let caches: [FrameCache]

    init(settings: SocketIOSettings, fanout: HubFanout, auth: Authenticator, loops: [EventLoop]) {
        self.settings = settings
        self.fanout = fanout
        self.auth = auth
        caches = loops.map { _ in FrameCache() }
    }

    // MARK: sessions

    func register(_ session: EngineIOConnection) {
        sessions.withLock { $0[session.sid] = session }
    }

    func remove(_ sid: String) {
        _ = sessions.withLock { $0.removeValue(forKey: sid) }
    }

    func session(_ sid: String) -> EngineIOConnection? {
        sessions.withLock { $0[sid] }
    }

    // MARK: recovery

    func save(_ socket: SavedSocket) {
        let now = MonotonicTime.wallMilliseconds()
        saved.withLock { $0.insert(socket, nowMs: now, ttlMs: settings.maxDisconnectionMs, max: settings.maxSavedSessions) }
    }

    /// The saved socket of `pid`, removed (a session is restored at most once).
    func takeSaved(pid: String) -> SavedSocket? {
        let now = MonotonicTime.wallMilliseconds()
        return saved.withLock { $0.take(pid, nowMs: now, ttlMs: settings.maxDisconnectionMs) }
    }

    // MARK: transcoding, once per frame and loop

    /// The Socket.IO forms of a hub frame. Call on `loop`: subscribers of a frame are visited one
    /// after another, so remembering the last frame suffices.
    func transcoded(_ frame: SharedBytes, loop: EventLoop) -> TranscodedFrame? {
        let cache = caches[loop.index]
        if let last = cache.last, last.source === frame { return last }
        guard let events = HubFrameTranscoder.parse(webSocketFrame: frame.bytes) else { return nil }
        let t = TranscodedFrame(source: frame, events: events, names: settings.eventNames)
        cache.last = t
        return t
    }
}

private final class FrameCache {
    var last: TranscodedFrame?
}

/// One hub frame in the four forms a Socket.IO socket may need, each built on first use.
final class TranscodedFrame {
    let source: SharedBytes
    let events: HubFrameEvents
    private let names: EventNameMap
    private var perEventPacketsMemo: [[UInt8]]?
    private var batchPacketMemo: [UInt8]?
    private var wsPerEvent: SharedBytes?
    private var wsBatch: SharedBytes?
    private var pollingPerEvent: [UInt8]?

    init(source: SharedBytes, events: HubFrameEvents, names: EventNameMap) {
        self.source = source
        self.events = events
        self.names = names
    }

    private var perEventPackets: [[UInt8]] {
        if let p = perEventPacketsMemo { return p }
        let p = HubFrameTranscoder.perEventPackets(events, names: names)
        perEventPacketsMemo = p
        return p
    }

    private var batchPacket: [UInt8] {
        if let p = batchPacketMemo { return p }
        let p = HubFrameTranscoder.batchPacket(events)
        batchPacketMemo = p
        return p
    }

    /// WebSocket text frames, one per packet, in one shared buffer.
    func webSocket(batch: Bool) -> SharedBytes {
        if batch {
            if let w = wsBatch { return w }
            let w = SharedBytes(webSocketFrames([batchPacket]))
            wsBatch = w
            return w
        }
        if let w = wsPerEvent { return w }
        let w = SharedBytes(webSocketFrames(perEventPackets))
        wsPerEvent = w
        return w
    }

    /// The packets as one polling chunk (joined by 0x1E).
    func polling(batch: Bool) -> [UInt8] {
        if batch { return batchPacket }
        if let p = pollingPerEvent { return p }
        var out: [UInt8] = []
        for (i, p) in perEventPackets.enumerated() {
            if i > 0 { out.append(EngineIOCodec.recordSeparator) }
            out.append(contentsOf: p)
        }
        pollingPerEvent = out
        return out
    }

    private func webSocketFrames(_ packets: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(packets.reduce(0) { $0 + $1.count + 10 })
        for p in packets { WebSocketFrameEncoder.append(opcode: .text, payload: p, to: &out) }
        return out
    }
}
