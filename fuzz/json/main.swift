// libFuzzer target for the JSON module: no input may crash the parser, and what it accepts must
// survive a write/parse round trip and agree with topLevelMembers. Built by scripts/fuzz-json.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data.map(UnsafeRawPointer.init), count: data == nil ? 0 : size)
    let parsed = try? JSONParser.parse(bytes)
    let members = try? JSONParser.topLevelMembers(bytes)
    if let parsed {
        let written = JSONWriter.encode(parsed)
        guard let again = try? JSONParser.parse(written), again == parsed else {
            fatalError("round trip changed the value")
        }
        guard JSONWriter.encode(again) == written else { fatalError("writing is not stable") }
    }
    // topLevelMembers accepts exactly the documents parse accepts as objects, with the same keys,
    // and each range holds exactly that member's value.
    switch (parsed, members) {
    case (nil, nil): break
    case let (.object(pairs)?, list?):
        guard pairs.count == list.count else { fatalError("member count differs") }
        for (pair, member) in zip(pairs, list) {
            guard pair.0 == member.key,
                  let value = try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[member.range])),
                  value == pair.1 else { fatalError("member range does not hold the member") }
        }
    case (_?, nil):
        if case .object = parsed { fatalError("topLevelMembers refused a valid object") }
    default:
        fatalError("topLevelMembers accepted what parse refused")
    }
    return 0
}
