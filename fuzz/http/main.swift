// libFuzzer target for the HTTP request parser. Built together with Sources/HTTP/*.swift by
// scripts/fuzz-http.sh. Invariants checked on every input:
// - no crash, no sanitizer report;
// - every call consumes between 0 and the bytes it was given, and a call that finds nothing
//   more still leaves the parser consistent;
// - feeding the same bytes whole, split at a few points, or byte by byte (short inputs) yields
//   exactly the same requests and the same error, and (without an error) leaves the same bytes
//   unconsumed.

/// Small limits so the 414/431/413 paths are reachable with short inputs.
let fuzzLimits = HTTPLimits(maxRequestLineBytes: 96, maxHeaderBytes: 384, maxHeaderCount: 8, maxBodyBytes: 512)

enum FuzzOutcome: Equatable {
    case request(HTTPRequest)
    case error(HTTPParseError)
}

struct FuzzRun: Equatable {
    var outcomes: [FuzzOutcome] = []
    var leftover = 0
    var midRequest = false
    var headersComplete = false
    var failed = false

    /// Unconsumed bytes are compared only without an error: on error nothing is consumed, so the
    /// leftover depends on how much earlier calls had consumed.
    static func == (a: FuzzRun, b: FuzzRun) -> Bool {
        a.outcomes == b.outcomes && a.failed == b.failed && a.midRequest == b.midRequest
            && a.headersComplete == b.headersComplete && (a.failed || a.leftover == b.leftover)
    }
}

func feed(_ chunks: [ArraySlice<UInt8>]) -> FuzzRun {
    var parser = HTTPRequestParser(limits: fuzzLimits)
    var pending: [UInt8] = []
    var run = FuzzRun()
    chunks: for chunk in chunks {
        pending.append(contentsOf: chunk)
        while true {
            let (consumed, result) = pending.withUnsafeBytes { parser.parse($0) }
            if consumed < 0 || consumed > pending.count { fatalError("consumed \(consumed) of \(pending.count)") }
            pending.removeFirst(consumed)
            if parser.wantsContinue {
                if !parser.headersComplete { fatalError("wantsContinue before headers were complete") }
                parser.acknowledgeContinue()
            }
            switch result {
            case .needMore:
                continue chunks
            case .request(let request):
                if request.body.count > fuzzLimits.maxBodyBytes { fatalError("body over the limit") }
                if request.headers.count > fuzzLimits.maxHeaderCount { fatalError("too many headers") }
                if consumed == 0 { fatalError("a request was produced from no bytes") }
                if parser.isMidRequest || parser.headersComplete { fatalError("state not reset after a request") }
                run.outcomes.append(.request(request))
            case .error(let error):
                if consumed != 0 { fatalError("an error consumed \(consumed) bytes") }
                run.outcomes.append(.error(error))
                // Dead parser: the same error again, nothing consumed.
                let again = pending.withUnsafeBytes { parser.parse($0) }
                guard again.consumed == 0, case .error(let same) = again.result, same == error else {
                    fatalError("parser revived after \(error)")
                }
                run.failed = true
                break chunks
            }
        }
    }
    run.leftover = pending.count
    run.midRequest = parser.isMidRequest
    run.headersComplete = parser.headersComplete
    return run
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = feed([bytes[...]])
    let third = size / 3
    let splits = feed([bytes[..<third], bytes[third..<(2 * third)], bytes[(2 * third)...]])
    if splits != whole { fatalError("split feeding differs: \(splits) vs \(whole)") }
    if let first = bytes.first {
        let cut = Int(first) % (size + 1)
        let two = feed([bytes[..<cut], bytes[cut...]])
        if two != whole { fatalError("split at \(cut) differs: \(two) vs \(whole)") }
    }
    if size <= 300 {
        let single = feed(bytes.indices.map { bytes[$0...$0] })
        if single != whole { fatalError("byte-by-byte feeding differs: \(single) vs \(whole)") }
    }
    return 0
}
