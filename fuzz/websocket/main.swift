// libFuzzer entry point for the WebSocket frame parser and session: arbitrary bytes must never
// crash them, and the parser must never claim more bytes than it was given. Built by
// scripts/fuzz-websocket.sh together with the module's frame files (not the handshake, which
// needs Crypto), so the types are used directly rather than through `import WebSocket`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let control = input.first else { return 0 }
    // The first byte picks the configuration, so both sides and small limits get explored.
    let requireMasked = control & 1 == 0
    let maxFrame = control & 2 == 0 ? 1 << 16 : 64
    let maxMessage = control & 4 == 0 ? 1 << 16 : 100
    var parser = WebSocketFrameParser(requireMasked: requireMasked, maxFramePayload: maxFrame)
    var session = WebSocketSession(maxMessageSize: maxMessage)
    var rest = UnsafeRawBufferPointer(rebasing: input[1...])
    while true {
        let (consumed, result) = parser.parse(rest)
        if consumed < 0 || consumed > rest.count { fatalError("parser consumed \(consumed) of \(rest.count)") }
        guard case .frame(let frame) = result else { break }
        if consumed == 0 { fatalError("frame without consuming bytes") }
        checkRoundTrip(frame, masked: control & 8 != 0)
        switch session.receive(frame) {
        case .fail, .close: return 0
        case .text(let bytes):
            var validator = UTF8Validator()
            if !(validator.feed(bytes) && validator.isComplete) { fatalError("invalid UTF-8 delivered as text") }
        default: break
        }
        rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
    }
    return 0
}

/// Re-encoding a parsed frame and parsing it again must give the same frame back.
private func checkRoundTrip(_ frame: WebSocketFrame, masked: Bool) {
    var bytes: [UInt8] = []
    WebSocketFrameEncoder.append(opcode: frame.opcode, payload: frame.payload, fin: frame.fin,
                                 mask: masked ? (1, 0x80, 0x7F, 0xFF) : nil, to: &bytes)
    var parser = WebSocketFrameParser(requireMasked: masked, maxFramePayload: Int.max)
    let (consumed, result) = parser.parse(bytes)
    if consumed != bytes.count || result != .frame(frame) { fatalError("round trip changed the frame") }
}
