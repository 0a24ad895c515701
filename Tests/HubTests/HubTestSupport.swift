// A settable clock and a sink that records flushed frames: the hub core runs in these tests
// without loops, threads or sleeps.
import Synchronization
@testable import Hub

final class FakeClock: Sendable {
    private let ms = Mutex<Int64>(1_000_000)
    func now() -> Int64 { ms.withLock { $0 } }
    func advance(_ d: Int64) { ms.withLock { $0 += d } }
}

final class RecordingSink: FrameSink {
    private(set) var frames: [FlushedFrame] = []
    func frameFlushed(_ frame: FlushedFrame) { frames.append(frame) }

    /// The JSON payload of frame `i` (the server frame's 2-, 4- or 10-byte header stripped).
    func payload(_ i: Int) -> String { Self.payload(frames[i].bytes) }

    static func payload(_ bytes: [UInt8]) -> String {
        let header = bytes[1] == 126 ? 4 : (bytes[1] == 127 ? 10 : 2)
        return String(decoding: bytes[header...], as: UTF8.self)
    }
}

extension HubCore {
    static func testing(_ clock: FakeClock, configure: (inout HubSettings) -> Void = { _ in }) -> HubCore {
        var settings = HubSettings()
        settings.history = HistoryLimits(maxEvents: 100, ttlMs: 60_000)
        configure(&settings)
        return HubCore(settings: settings, nowMs: { clock.now() })
    }

    @discardableResult
    func publish(_ topic: String, _ data: String, to sink: RecordingSink) -> PublishReceipt {
        publish(topic: topic, type: "x", data: Array(data.utf8), to: sink)
    }
}
