// Per-loop delivery counters for the fan-out subscribers on that loop. Loop-confined counters are
// read by the main thread only after the loops are joined; the atomics are what the main thread
// polls while the run is going.
import Histogram
import Synchronization

// Loop-confined except the Atomic fields; read after EventLoopGroup.stopAndJoin().
final class SubscriberTally: @unchecked Sendable {
    var events = 0
    var frames = 0
    /// Frames whose first seq was not last+1 (missing events in between).
    var gapFrames = 0
    var missingEvents = 0
    /// Frames whose first seq was at or below the last one seen (duplicates or reordering).
    var backwardFrames = 0
    var subscribersWithGaps = 0
    var unscannable = 0
    var errorsFromServer = 0
    var firstError: String?
    /// Publish→deliver latency in µs, sampled from the last event of each frame.
    var latencyMicros = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var lastDeliveryNs: UInt64 = 0
    var closeReasons: [String: Int] = [:]

    let ready = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let closed = Atomic<Int>(0)
    /// Connections that were ready and closed later (server close, EOF).
    let droppedAfterReady = Atomic<Int>(0)
    let progress = Atomic<Int>(0)

    func recordLatency(publishNs: UInt64, nowNs: UInt64) {
        let micros = nowNs > publishNs ? (nowNs - publishNs) / 1000 : 0
        _ = latencyMicros.record(min(micros, 60_000_000))
    }

    func noteClose(_ reason: String) {
        closeReasons[reason, default: 0] += 1
    }
}
