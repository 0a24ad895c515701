// Counts the events in a received frame without decoding it: the load tool must not be the
// bottleneck, so it scans for `"seq":` keys (first, last, count) and reads the publish timestamp
// of the LAST event only (one latency sample per frame).

struct FrameScan: Equatable {
    var events: Int
    var firstSeq: UInt64
    var lastSeq: UInt64
    /// The `bench_ns` of the last event, if it carried one (monotonic ns at publish).
    var lastPublishNs: UInt64?

    static let seqKey = Array(#""seq":"#.utf8)
    static let stampKey = Array(#""bench_ns":"#.utf8)
    static let batchPrefix = Array(#"{"op":"batch""#.utf8)

    /// True if the payload is a switchboard batch frame (the server writes `op` first).
    static func isBatch(_ payload: UnsafeRawBufferPointer) -> Bool {
        payload.count >= batchPrefix.count && batchPrefix.withUnsafeBytes { p in
            memcmpEqual(payload.baseAddress, p.baseAddress, count: p.count)
        }
    }

    /// Scans a payload holding one or more events, each with a `"seq":N` key. Returns nil when
    /// no seq is found. The event data the bench publishes has no `"seq":` of its own, so every
    /// occurrence is one event.
    static func scan(_ payload: UnsafeRawBufferPointer) -> FrameScan? {
        var count = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        var from = 0
        while let at = find(seqKey, in: payload, from: from) {
            let valueStart = at + seqKey.count
            let (value, end) = readInteger(payload, at: valueStart)
            guard let value else { return nil }
            if count == 0 { first = value }
            last = value
            count += 1
            from = end
        }
        guard count > 0 else { return nil }
        var stamp: UInt64? = nil
        if let at = findLast(stampKey, in: payload) {
            stamp = readInteger(payload, at: at + stampKey.count).value
        }
        return FrameScan(events: count, firstSeq: first, lastSeq: last, lastPublishNs: stamp)
    }

    static func scan(_ payload: [UInt8]) -> FrameScan? { payload.withUnsafeBytes { scan($0) } }

    /// Reads decimal digits at `index`, skipping spaces and one opening quote (the bench sends
    /// its timestamp as a string so no JSON writer can turn it into a float). Nil if no digit or
    /// the value overflows 64 bits.
    static func readInteger(_ bytes: UnsafeRawBufferPointer, at index: Int) -> (value: UInt64?, end: Int) {
        var i = index
        while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x22) { i += 1 }
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
            if o1 || o2 { return (nil, i) }
            value = a
            digits += 1
            i += 1
        }
        return (digits > 0 ? value : nil, i)
    }

    static func find(_ needle: [UInt8], in hay: UnsafeRawBufferPointer, from: Int) -> Int? {
        let n = needle.count
        guard n > 0, hay.count >= n, let base = hay.baseAddress else { return nil }
        return needle.withUnsafeBytes { np -> Int? in
            guard let nb = np.baseAddress else { return nil }
            var start = from
            while start <= hay.count - n {
                // memchr for the first byte, then compare the rest.
                guard let hit = memchrPointer(base + start, needle[0], hay.count - n + 1 - start) else { return nil }
                let offset = hit - base
                if memcmpEqual(hit, nb, count: n) { return offset }
                start = offset + 1
            }
            return nil
        }
    }

    static func findLast(_ needle: [UInt8], in hay: UnsafeRawBufferPointer) -> Int? {
        let n = needle.count
        guard n > 0, hay.count >= n, let base = hay.baseAddress else { return nil }
        return needle.withUnsafeBytes { np -> Int? in
            guard let nb = np.baseAddress else { return nil }
            var i = hay.count - n
            while i >= 0 {
                if hay[i] == needle[0] && memcmpEqual(base + i, nb, count: n) { return i }
                i -= 1
            }
            return nil
        }
    }
}
