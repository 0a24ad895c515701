// Counter totals the server can read back as numbers: a Prometheus counter can only be emitted as
// text, but the ops console wants "webhooks received so far" as JSON without parsing /metrics.
// `CountingMetricsFactory` sits in front of the real factory; every counter it makes also adds
// to an atomic that `CounterTotals` sums by name and labels. One relaxed atomic add per
// increment; the table is only locked when a counter is created or read.
import CoreMetrics
import Locks
import Synchronization

public final class CounterTotals: Sendable {
    private let handlers = Locked<[String: [CountingCounterHandler]]>([:])

    public init() {}

    /// The sum of every counter with this name and exactly these labels (in creation order), 0 if none.
    public func total(_ name: String, _ dimensions: [(String, String)] = []) -> Int64 {
        let key = Self.key(name, dimensions)
        return handlers.withLock { $0[key] ?? [] }.reduce(0) { $0 &+ $1.value.load(ordering: .relaxed) }
    }

    func register(_ handler: CountingCounterHandler, key: String) {
        handlers.withLock { $0[key, default: []].append(handler) }
    }

    func unregister(_ handler: CountingCounterHandler) {
        handlers.withLock { map in
            map[handler.key]?.removeAll { $0 === handler }
        }
    }

    /// The same key SwitchboardMetrics files its labelled metrics under.
    static func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        SwitchboardMetrics.key(name, dimensions)
    }
}

final class CountingCounterHandler: CounterHandler, Sendable {
    let base: any CounterHandler
    let key: String
    let value = Atomic<Int64>(0)

    init(base: any CounterHandler, key: String) {
        self.base = base
        self.key = key
    }

    func increment(by amount: Int64) {
        value.add(amount, ordering: .relaxed)
        base.increment(by: amount)
    }

    func reset() {
        value.store(0, ordering: .relaxed)
        base.reset()
    }
}

/// A MetricsFactory that forwards everything to `base` and also counts counters into `totals`.
public struct CountingMetricsFactory: MetricsFactory {
    public let base: any MetricsFactory
    public let totals: CounterTotals

    public init(base: any MetricsFactory, totals: CounterTotals) {
        self.base = base
        self.totals = totals
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let key = CounterTotals.key(label, dimensions)
        let handler = CountingCounterHandler(base: base.makeCounter(label: label, dimensions: dimensions), key: key)
        totals.register(handler, key: key)
        return handler
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        base.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        base.makeMeter(label: label, dimensions: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        base.makeTimer(label: label, dimensions: dimensions)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        guard let counting = handler as? CountingCounterHandler else { return base.destroyCounter(handler) }
        totals.unregister(counting)
        base.destroyCounter(counting.base)
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    public func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    public func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
