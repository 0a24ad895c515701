// libFuzzer entry point for permessage-deflate's inflating path: arbitrary frames with RSV1 go
// through the parser and the session into the zlib inflater. Nothing may crash, an inflated
// message may never exceed the limit, and text must be valid UTF-8. Built by
// scripts/fuzz-deflate.sh with the module's frame files, so their types are used directly.
import Deflate

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let control = input.first else { return 0 }
    // The first byte picks the limit and whether the client keeps its context.
    let maxMessage = control & 1 == 0 ? 1 << 16 : 300
    let keepsContext = control & 2 == 0
    var parser = WebSocketFrameParser(requireMasked: false, maxFramePayload: 1 << 16, allowsCompression: true)
    var session = WebSocketSession(maxMessageSize: maxMessage,
                                   inflater: PerMessageDeflateParameters(clientNoContextTakeover: !keepsContext).makeInflater())
    var rest = UnsafeRawBufferPointer(rebasing: input[1...])
    while true {
        let (consumed, result) = parser.parse(rest)
        if consumed < 0 || consumed > rest.count { fatalError("parser consumed \(consumed) of \(rest.count)") }
        guard case .frame(let frame) = result else { break }
        switch session.receive(frame) {
        case .fail, .close: return 0
        case .text(let bytes):
            if bytes.count > maxMessage { fatalError("text message over the limit") }
            var validator = UTF8Validator()
            if !(validator.feed(bytes) && validator.isComplete) { fatalError("invalid UTF-8 delivered as text") }
        case .binary(let bytes):
            if bytes.count > maxMessage { fatalError("binary message over the limit") }
        default: break
        }
        rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
    }
    return 0
}
