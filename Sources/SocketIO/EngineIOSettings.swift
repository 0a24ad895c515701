// The Engine.IO timings and limits a session runs with; the defaults are the reference server's.
public struct EngineIOSettings: Sendable, Equatable {
    public var pingIntervalMs: Int64 = 25_000
    public var pingTimeoutMs: Int64 = 20_000
    /// Largest polling POST body and WebSocket message a client may send.
    public var maxPayload = 1_000_000
    /// How long a probed WebSocket may take to send the `5` upgrade packet.
    public var upgradeTimeoutMs: Int64 = 10_000
    /// Output buffered for a polling client (or during an upgrade) before it is closed as a slow
    /// consumer, like /ws's per-connection bound.
    public var maxBufferedBytes = 4 << 20

    public init() {}

    /// `0{"sid":"..","upgrades":[..],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
    public func openPacket(sid: String, upgrades: [String]) -> [UInt8] {
        var out: [UInt8] = Array(#"0{"sid":""#.utf8)
        out.append(contentsOf: sid.utf8)  // our own base64url id: nothing to escape
        out.append(contentsOf: #"","upgrades":["#.utf8)
        for (i, u) in upgrades.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: u.utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #"],"pingInterval":\#(pingIntervalMs),"pingTimeout":\#(pingTimeoutMs),"maxPayload":\#(maxPayload)}"#.utf8)
        return out
    }
}
