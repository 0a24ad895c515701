// libFuzzer target for the RESP2 reply parser: no input may crash it; a value it accepts must be
// re-parsed identically from any longer buffer, and every shorter prefix of it must be "need
// more" (the property the connection's incremental reading relies on). Built by scripts/fuzz-resp.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data.map(UnsafeRawPointer.init), count: data == nil ? 0 : size)
    var limits = RESPLimits()
    limits.maxBulkBytes = 1 << 16
    limits.maxArrayCount = 1 << 12
    guard case .value(let v, let consumed) = RESPParser.parse(bytes, limits: limits) else { return 0 }
    guard consumed > 0, consumed <= size else { fatalError("consumed \(consumed) of \(size)") }
    let exact = UnsafeRawBufferPointer(rebasing: bytes[0..<consumed])
    guard case .value(let again, consumed) = RESPParser.parse(exact, limits: limits), again == v else {
        fatalError("the value's own bytes parse differently")
    }
    for cut in Swift.stride(from: 0, to: consumed, by: max(1, consumed / 16)) {
        guard RESPParser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<cut]), limits: limits) == .needMore else {
            fatalError("a prefix of \(cut) bytes was not need-more")
        }
    }
    return 0
}
