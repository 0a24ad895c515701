// libFuzzer target for the Socket.IO packet decoder and the hub-request mapping: no input may
// crash them, and a decoded packet keeps its invariants. Built by scripts/fuzz-socketio.sh.
import Hub
import JSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSocketIO(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .success(let p) = SocketIOCodec.decode(bytes) {
        guard p.attachments <= SocketIOCodec.maxAttachments, (p.ackID ?? 0) >= 0 else { fatalError("bounds not kept") }
        if let name = p.eventName { _ = SocketIOEventRequest.decode(name: name, arguments: p.eventArguments) }
    }
    _ = HubFrameTranscoder.parse(payload: bytes)
    _ = EventOffset(String(decoding: bytes, as: UTF8.self))
    _ = EventNameMap.parse(String(decoding: bytes, as: UTF8.self))
    return 0
}
