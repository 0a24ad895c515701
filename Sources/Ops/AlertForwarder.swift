// Forwards alerts to SWITCHBOARD_ALERT_WEBHOOK_URL as `{"text": "..."}` (Slack's incoming-webhook
// shape), on its own worker thread with one POST per attempt and Resilience's backoff between
// attempts; a queue bounds what waits, so a dead receiver costs memory only up to it.
import Foundation
import JSON
import Lifecycle
import Logging
import Resilience
import WhatsApp

public final class AlertForwarder: BackgroundService, @unchecked Sendable {
    // `queue` is guarded by `lock`; everything else is fixed at init.
    private let url: String
    private let logger: Logger
    private let backoff = BackoffPolicy(base: 500 * TimeSpan.nanosecondsPerMillisecond, cap: 10 * TimeSpan.nanosecondsPerSecond, maxAttempts: 4)
    private let lock = NSLock()
    private var queue: [String] = []
    private let worker = WorkerThread(name: "alert-forwarder")
    public let serviceName = "alert-forwarder"
    static let maxQueued = 100
    static let timeoutMs = 5000

    public init(url: String, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    public func start() {
        worker.start { [self] w in run(w) }
    }

    public func stop() {
        worker.stop()
    }

    /// Queues one alert text; past `maxQueued` waiting texts the newest is dropped (and logged).
    func forward(_ text: String) {
        lock.lock()
        let accepted = queue.count < Self.maxQueued
        if accepted { queue.append(text) }
        lock.unlock()
        if accepted {
            worker.wake()
        } else {
            logger.warning("alert forwarding queue full; alert not forwarded", metadata: ["alert.forward.queued": "\(Self.maxQueued)"])
        }
    }

    private func next() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return queue.isEmpty ? nil : queue.removeFirst()
    }

    private func run(_ w: WorkerThread) {
        var random = SystemRandom()
        while w.sleep(seconds: nil) {
            while let text = next() {
                var body: [UInt8] = Array(#"{"text":"#.utf8)
                JSONWriter.appendString(text, to: &body)
                body.append(UInt8(ascii: "}"))
                var attempt = 1
                while true {
                    let status = JSONPoster.post(url: url, body: body, timeoutMs: Self.timeoutMs)
                    if (200..<300).contains(status) { break }
                    if attempt >= backoff.maxAttempts {
                        logger.warning("alert forwarding failed", metadata: ["alert.forward.status": "\(status)", "alert.forward.attempts": "\(attempt)"])
                        break
                    }
                    // A stop during the backoff ends the thread; what is still queued is dropped.
                    guard w.sleep(seconds: TimeSpan.asSeconds(backoff.delay(attempt: attempt, random: &random))) else { return }
                    attempt += 1
                }
            }
        }
    }
}
