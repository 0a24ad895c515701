// Forwards alerts to SWITCHBOARD_ALERT_WEBHOOK_URL as `{"text": "..."}` (Slack's incoming-webhook
// shape), on its own thread with one libcurl easy call per attempt and Resilience's backoff
// between attempts; a queue bounds what waits, so a dead receiver costs memory only up to it.
import CCurl
import Foundation
import JSON
import Logging
import Resilience
import WhatsApp

public final class AlertForwarder: @unchecked Sendable {
    // `queue` and `stopped` are guarded by `lock`; the curl handle lives on the thread only.
    private let url: String
    private let logger: Logger
    private let backoff = BackoffPolicy(base: 500 * TimeSpan.nanosecondsPerMillisecond, cap: 10 * TimeSpan.nanosecondsPerSecond, maxAttempts: 4)
    private let lock = NSCondition()
    private var queue: [String] = []
    private var stopped = false
    static let maxQueued = 100
    static let timeoutMs = 5000

    public init(url: String, logger: Logger) {
        self.url = url
        self.logger = logger
        _ = GraphClient.globalInit()
        let t = Thread { [self] in run() }
        t.name = "alert-forwarder"
        t.start()
    }

    func forward(_ text: String) {
        lock.lock()
        if queue.count < Self.maxQueued { queue.append(text) }
        lock.signal()
        lock.unlock()
    }

    public func stop() {
        lock.lock(); stopped = true; lock.signal(); lock.unlock()
    }

    private func run() {
        var random = SystemRandom()
        while true {
            lock.lock()
            while queue.isEmpty && !stopped { lock.wait() }
            if stopped { lock.unlock(); return }
            let text = queue.removeFirst()
            lock.unlock()
            var body: [UInt8] = Array(#"{"text":"#.utf8)
            JSONWriter.appendString(text, to: &body)
            body.append(UInt8(ascii: "}"))
            var attempt = 1
            while true {
                let status = post(body)
                if (200..<300).contains(status) { break }
                if attempt >= backoff.maxAttempts {
                    logger.warning("alert forwarding failed", metadata: ["alert.forward.status": "\(status)", "alert.forward.attempts": "\(attempt)"])
                    break
                }
                let wait = backoff.delay(attempt: attempt, random: &random)
                Thread.sleep(forTimeInterval: TimeSpan.asSeconds(wait))
                attempt += 1
            }
        }
    }

    /// The HTTP status, or 0 when no answer came.
    private func post(_ body: [UInt8]) -> Int {
        guard let easy = curl_easy_init() else { return 0 }
        defer { curl_easy_cleanup(easy) }
        let headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: application/json")
        defer { curl_slist_free_all(headers) }
        _ = sb_curl_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.timeoutMs)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_POST, 1)
        _ = sb_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
        body.withUnsafeBytes { raw in
            if let base = raw.baseAddress {
                _ = sb_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
            }
        }
        // Discard the answer body: only the status matters.
        _ = sb_curl_easy_setopt_write_function(easy) { _, size, count, _ in size &* count }
        guard curl_easy_perform(easy) == CURLE_OK else { return 0 }
        var code: Int = 0
        _ = sb_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }
}
