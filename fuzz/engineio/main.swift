// libFuzzer target for the Engine.IO side: no input may crash the payload decoder or the session
// fed with it as a POST body, a WebSocket frame or a probe; what decodes must encode back to the
// same bytes. Built by scripts/fuzz-engineio.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngineIO(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .success(let packets) = EngineIOCodec.decodePayload(bytes) {
        // base64 may be written differently (padding), so compare what the packets mean
        guard case .success(let again) = EngineIOCodec.decodePayload(EngineIOCodec.encodePayload(packets)), again == packets else {
            fatalError("payload round trip changed the packets")
        }
    }
    var polling = EngineIOSession(settings: EngineIOSettings(), transport: .polling, nowMs: 0)
    _ = polling.pollArrived()
    _ = polling.postArrived(bytes, nowMs: 1)
    _ = polling.probeText(bytes, nowMs: 2)
    _ = polling.probeText(bytes, nowMs: 3)
    _ = polling.timerFired(nowMs: 60_000)
    var ws = EngineIOSession(settings: EngineIOSettings(), transport: .websocket, nowMs: 0)
    _ = ws.webSocketText(bytes, nowMs: 1)
    _ = ws.send(bytes)
    return 0
}
