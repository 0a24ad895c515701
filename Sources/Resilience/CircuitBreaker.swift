// A circuit breaker per upstream (the Graph API): stops sending while it is failing, so the
// outbox holds messages instead of burning their attempts, and probes for recovery.

public enum BreakerState: Sendable, Hashable {
    case closed
    case open
    case halfOpen

    /// Stable name for `system.health` events and logs.
    public var name: String {
        switch self {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }

    /// Gauge value for metrics: 0 closed, 1 half-open, 2 open (higher is worse).
    public var gaugeValue: Int {
        switch self {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }
}

/// One state change, returned to the caller to publish on `system.health`.
public struct BreakerTransition: Sendable, Hashable {
    /// Stable reasons for a transition.
    public enum Reason: String, Sendable, Hashable {
        case consecutiveFailures = "consecutive_failures"
        case failureRatio = "failure_ratio"
        case openElapsed = "open_elapsed"
        case probeSucceeded = "probe_succeeded"
        case probeFailed = "probe_failed"
    }

    public let from: BreakerState
    public let to: BreakerState
    public let reason: Reason
    public let at: Instant
    /// Set when `to` is `.open`.
    public let openUntil: Instant?
    /// Consecutive trips including this one (0 after closing).
    public let tripCount: Int
}

public struct CircuitBreakerConfiguration: Sendable, Hashable {
    /// Consecutive transient failures that open the breaker (default 5, env
    /// SWITCHBOARD_BREAKER_FAILURES).
    public var consecutiveFailureThreshold: Int
    /// Rolling window for the failure-ratio trigger (default 30 s).
    public var window: Nanoseconds
    /// Calls in the window before the ratio is trusted (default 20).
    public var minimumCallsInWindow: Int
    /// Failure ratio at or above which the breaker opens (default 0.5).
    public var failureRatioThreshold: Double
    /// Open time after the first trip (default 30 s, env SWITCHBOARD_BREAKER_OPEN_S); doubles on
    /// each consecutive trip up to `maxOpenDuration` (default 10 min).
    public var openDuration: Nanoseconds
    public var maxOpenDuration: Nanoseconds
    /// If the half-open probe never reports (a lost task), another probe is allowed after this
    /// long (default 2 min) so the breaker cannot stay stuck; normally the sender's own request
    /// timeout reports the probe much sooner.
    public var probeTimeout: Nanoseconds

    public init(
        consecutiveFailureThreshold: Int = 5,
        window: Nanoseconds = 30 * TimeSpan.nanosecondsPerSecond,
        minimumCallsInWindow: Int = 20,
        failureRatioThreshold: Double = 0.5,
        openDuration: Nanoseconds = 30 * TimeSpan.nanosecondsPerSecond,
        maxOpenDuration: Nanoseconds = 600 * TimeSpan.nanosecondsPerSecond,
        probeTimeout: Nanoseconds = 120 * TimeSpan.nanosecondsPerSecond
    ) {
        self.consecutiveFailureThreshold = consecutiveFailureThreshold
        self.window = window
        self.minimumCallsInWindow = minimumCallsInWindow
        self.failureRatioThreshold = failureRatioThreshold
        self.openDuration = openDuration
        self.maxOpenDuration = maxOpenDuration
        self.probeTimeout = probeTimeout
    }
}

/// closed → open after `consecutiveFailureThreshold` consecutive transient failures, or when at
/// least `minimumCallsInWindow` calls in the rolling window failed at `failureRatioThreshold` or
/// more; open → half-open once the open time has elapsed (checked in `allowRequest`); half-open
/// lets exactly one probe through; its success closes the breaker (trip count reset), its
/// failure reopens it for twice as long.
///
/// Only transient failures count as failures. A permanent failure (4xx for a bad request) is
/// the caller's fault and proves Graph is reachable, so report it with `recordSuccess` (or use
/// `record(_:now:)`, which does this).
///
/// Results that arrive while the breaker is open (requests sent before it tripped) are ignored:
/// they say nothing about the state the open period is waiting out.
public struct CircuitBreaker: Sendable {
    public let configuration: CircuitBreakerConfiguration
    public private(set) var state: BreakerState = .closed
    /// When the open period ends; nil unless open.
    public private(set) var openUntil: Instant?
    public private(set) var consecutiveFailures = 0
    /// Consecutive trips without a successful probe in between.
    public private(set) var tripCount = 0
    private var probeStartedAt: Instant?
    private var window: RollingOutcomeWindow

    public init(configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration()) {
        self.configuration = configuration
        self.window = RollingOutcomeWindow(span: configuration.window)
    }

    public var stateName: String { state.name }
    public var gaugeValue: Int { state.gaugeValue }

    /// Whether a request may go out now. In half-open, true exactly once until that probe
    /// reports (or `probeTimeout` passes).
    public mutating func allowRequest(now: Instant) -> (allowed: Bool, transition: BreakerTransition?) {
        switch state {
        case .closed:
            return (true, nil)
        case .open:
            guard let until = openUntil, now >= until else { return (false, nil) }
            state = .halfOpen
            openUntil = nil
            probeStartedAt = now
            return (true, transition(from: .open, to: .halfOpen, reason: .openElapsed, at: now))
        case .halfOpen:
            if let started = probeStartedAt, now.nanoseconds(since: started) < configuration.probeTimeout {
                return (false, nil)
            }
            probeStartedAt = now
            return (true, nil)
        }
    }

    /// Time until `allowRequest` may say yes; 0 when closed or a probe could go now.
    public func timeUntilAllowed(now: Instant) -> Nanoseconds {
        switch state {
        case .closed:
            return 0
        case .open:
            return openUntil.map { $0.nanoseconds(since: now) } ?? 0
        case .halfOpen:
            guard let started = probeStartedAt else { return 0 }
            return started.adding(nanoseconds: configuration.probeTimeout).nanoseconds(since: now)
        }
    }

    /// Routes a send result: nil (accepted) and permanent failures count as success, transient
    /// failures as failure.
    public mutating func record(_ failure: FailureKind?, now: Instant) -> BreakerTransition? {
        failure == .transient ? recordFailure(now: now) : recordSuccess(now: now)
    }

    public mutating func recordSuccess(now: Instant) -> BreakerTransition? {
        switch state {
        case .closed:
            consecutiveFailures = 0
            window.record(failed: false, now: now)
            return nil
        case .open:
            return nil
        case .halfOpen:
            state = .closed
            tripCount = 0
            consecutiveFailures = 0
            probeStartedAt = nil
            window.reset()
            return transition(from: .halfOpen, to: .closed, reason: .probeSucceeded, at: now)
        }
    }

    public mutating func recordFailure(now: Instant) -> BreakerTransition? {
        switch state {
        case .closed:
            consecutiveFailures = consecutiveFailures < Int.max ? consecutiveFailures + 1 : Int.max
            window.record(failed: true, now: now)
            if consecutiveFailures >= max(configuration.consecutiveFailureThreshold, 1) {
                return trip(from: .closed, reason: .consecutiveFailures, now: now)
            }
            let (calls, failures) = window.counts(now: now)
            if calls >= max(configuration.minimumCallsInWindow, 1),
                Double(failures) >= configuration.failureRatioThreshold * Double(calls)
            {
                return trip(from: .closed, reason: .failureRatio, now: now)
            }
            return nil
        case .open:
            return nil
        case .halfOpen:
            consecutiveFailures = consecutiveFailures < Int.max ? consecutiveFailures + 1 : Int.max
            return trip(from: .halfOpen, reason: .probeFailed, now: now)
        }
    }

    /// The open time for trip number `trip` (1-based): openDuration * 2^(trip-1), capped.
    public func openDuration(forTrip trip: Int) -> Nanoseconds {
        let cap = max(configuration.maxOpenDuration, configuration.openDuration)
        var duration = configuration.openDuration
        var doublings = max(trip, 1) - 1
        while doublings > 0 && duration < cap {
            let (doubled, overflow) = duration.multipliedReportingOverflow(by: 2)
            duration = overflow ? cap : min(doubled, cap)
            doublings -= 1
        }
        return duration
    }

    private mutating func trip(from: BreakerState, reason: BreakerTransition.Reason, now: Instant) -> BreakerTransition {
        tripCount = tripCount < Int.max ? tripCount + 1 : Int.max
        state = .open
        openUntil = now.adding(nanoseconds: openDuration(forTrip: tripCount))
        probeStartedAt = nil
        window.reset()
        return transition(from: from, to: .open, reason: reason, at: now)
    }

    private func transition(from: BreakerState, to: BreakerState, reason: BreakerTransition.Reason, at: Instant)
        -> BreakerTransition
    {
        BreakerTransition(from: from, to: to, reason: reason, at: at, openUntil: openUntil, tripCount: tripCount)
    }
}

/// Success and failure counts over the last `span`, in ten fixed buckets so memory stays
/// constant whatever the call rate. Counts are approximate by up to one bucket (span / 10).
struct RollingOutcomeWindow: Sendable {
    private static let bucketCount = 10
    private let bucketSpan: Nanoseconds
    /// Index of the time slice each bucket holds, and its counts.
    private var slices = [UInt64](repeating: .max, count: bucketCount)
    private var calls = [Int](repeating: 0, count: bucketCount)
    private var failures = [Int](repeating: 0, count: bucketCount)

    init(span: Nanoseconds) {
        bucketSpan = max(span / UInt64(Self.bucketCount), 1)
    }

    mutating func record(failed: Bool, now: Instant) {
        let slice = now.nanosecondsSinceOrigin / bucketSpan
        let index = Int(slice % UInt64(Self.bucketCount))
        if slices[index] != slice {
            slices[index] = slice
            calls[index] = 0
            failures[index] = 0
        }
        calls[index] &+= 1
        if failed { failures[index] &+= 1 }
    }

    func counts(now: Instant) -> (calls: Int, failures: Int) {
        let current = now.nanosecondsSinceOrigin / bucketSpan
        var totalCalls = 0
        var totalFailures = 0
        for index in 0..<Self.bucketCount where slices[index] != .max {
            let slice = slices[index]
            guard slice <= current, current - slice < UInt64(Self.bucketCount) else { continue }
            totalCalls &+= calls[index]
            totalFailures &+= failures[index]
        }
        return (totalCalls, totalFailures)
    }

    mutating func reset() {
        for index in 0..<Self.bucketCount {
            slices[index] = .max
            calls[index] = 0
            failures[index] = 0
        }
    }
}
