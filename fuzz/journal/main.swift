// libFuzzer target for the publication journal's decoder: no input may crash it, and whatever it
// accepts must encode back to bytes that decode to the same events. Built by scripts/fuzz-journal.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let events = JournalCoding.decode(bytes) else { return 0 }
    guard JournalCoding.decode(JournalCoding.encode(events)) == events else {
        fatalError("decoded events do not survive encode/decode")
    }
    return 0
}
