// The outbound Graph API client: one dedicated thread drives a libcurl multi handle, so many
// sends run at once over keep-alive connections and no caller (a reactor thread) ever blocks.
import CCurl
import Foundation
import JSON
import Resilience

/// Sends messages and read receipts to `POST {base}/{version}/{phone_number_id}/messages`.
///
/// Callers on any thread hand a request over with `send`/`markRead`, which only append to a
/// queue under a lock and wake the curl thread (`curl_multi_wakeup`); nothing there touches the
/// network. The curl thread runs at most `maxConcurrent` transfers at once; the rest wait in the
/// queue in arrival order. Connections stay in the multi handle's cache between requests, so a
/// steady stream of sends reuses them (HTTP/1.1 keep-alive, or HTTP/2 multiplexing over TLS).
///
/// At most `maxPending` calls are outstanding (queued or in flight) at once; mark-as-read calls,
/// which callers fire and forget, may hold only half of that, so a flood of read receipts never
/// leaves a send without room (a refused send would count against the sender's breaker). A call beyond either bound
/// completes at once, on the caller's thread, with `.transport("client_queue_full: …")`
/// (transient) and nothing allocated; callers can read `pendingCount` to refuse earlier.
///
/// Completions run on the curl thread: keep them short (hand the result to your own queue), and
/// never call `shutdown()` from one.
public final class GraphClient: @unchecked Sendable {
    // @unchecked Sendable: `pending`, the outstanding counts, `accepting` and `finished` are only
    // touched under `lock`;
    // `multi` is used by the curl thread, except for `curl_multi_wakeup`, which libcurl allows
    // from any thread and which is only called while `accepting` holds (see `shutdown`).

    public let baseURL: String
    public let apiVersion: String
    private let accessToken: String
    private let connectTimeoutMs: Int
    private let totalTimeoutMs: Int
    private let maxConcurrent: Int
    /// The most calls outstanding (queued or in flight) at once.
    public let maxPending: Int
    /// The most mark-as-read calls outstanding at once: half of `maxPending`.
    public let maxPendingMarkReads: Int
    private let queueFullFailure: SendFailure
    private let markReadsFullFailure: SendFailure

    private let multi: UnsafeMutableRawPointer?
    private let lock = NSCondition()
    private var pending: [GraphCall] = []
    private var pendingHead = 0
    private var outstanding = 0
    private var outstandingMarkReads = 0
    private var accepting = true
    private var finished = false

    private static let globalInitSucceeded: Bool = curl_global_init(3 /* CURL_GLOBAL_ALL */) == CURLE_OK

    /// libcurl's process-wide set-up (OpenSSL included). Call it once from the executable before
    /// any other thread starts; later calls do nothing. `init` calls it as a safety net.
    @discardableResult
    public static func globalInit() -> Bool { globalInitSucceeded }

    public init(
        baseURL: String = "https://graph.facebook.com", apiVersion: String = "v21.0", accessToken: String,
        connectTimeoutMs: Int = 5000, totalTimeoutMs: Int = 15000, maxConcurrent: Int = 64,
        maxPending: Int = 4096
    ) {
        GraphClient.globalInit()
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiVersion = apiVersion
        self.accessToken = accessToken
        self.connectTimeoutMs = max(1, connectTimeoutMs)
        self.totalTimeoutMs = max(1, totalTimeoutMs)
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPending = max(1, maxPending)
        self.maxPendingMarkReads = max(1, self.maxPending / 2)
        // Built once here, so that refusing a call allocates nothing.
        queueFullFailure = .transport("client_queue_full: \(self.maxPending) Graph calls already outstanding")
        markReadsFullFailure = .transport(
            "client_queue_full: \(maxPendingMarkReads) mark-as-read calls already outstanding (the rest is kept for sends)")
        self.multi = curl_multi_init()
        if let multi {
            // Keep as many idle connections as we run transfers, so bursts reuse them.
            _ = sb_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, self.maxConcurrent)
        }
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "graph-client"
        thread.start()
    }

    /// Sends one message. `body` is the Graph request JSON (see `ValidatedMessage.graphBody`);
    /// `correlationID` travels as `X-Request-ID` so Graph-side logs can be matched to ours.
    public func send(
        phoneNumberID: String, body: [UInt8], correlationID: String,
        completion: @escaping @Sendable (GraphResult) -> Void
    ) {
        guard admit(.send, completion: completion) else { return }
        enqueue(phoneNumberID: phoneNumberID, body: body, correlationID: correlationID, kind: .send, completion: completion)
    }

    /// Marks an inbound message as read (blue ticks); success is Graph's `{"success":true}`.
    public func markRead(
        phoneNumberID: String, wamid: String, correlationID: String,
        completion: @escaping @Sendable (GraphResult) -> Void
    ) {
        let kind = GraphCallKind.markRead(wamid: wamid)
        guard admit(kind, completion: completion) else { return }
        let body = JSONWriter.encode(.object([
            ("messaging_product", .string("whatsapp")),
            ("status", .string("read")),
            ("message_id", .string(wamid)),
        ]))
        enqueue(phoneNumberID: phoneNumberID, body: body, correlationID: correlationID, kind: kind, completion: completion)
    }

    /// Calls made and not yet completed (queued or in flight), from any thread.
    public var pendingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return outstanding
    }

    /// Stops the client: queued and in-flight calls complete with `.transport("client_shutdown…")`
    /// (transient, so an outbox retries them after a restart), then the thread is joined. Calls
    /// made afterwards complete at once with the same failure. Safe to call more than once.
    public func shutdown() {
        lock.lock()
        if accepting {
            accepting = false
            if let multi { _ = curl_multi_wakeup(multi) }
        }
        while !finished { lock.wait() }
        lock.unlock()
    }

    /// The URL for a phone number id, which is path-escaped so that no input can change the path.
    func messagesURL(phoneNumberID: String) -> String {
        "\(baseURL)/\(apiVersion)/\(GraphClient.pathEscaped(phoneNumberID))/messages"
    }

    static func pathEscaped(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// Header values must not carry CR/LF (header injection); such values are dropped to "".
    static func headerSafe(_ s: String) -> String {
        s.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } ? "" : s
    }

    /// Takes a slot for one call, or completes it at once when the client is stopped or full.
    /// Runs before anything is built for the call, so a refusal allocates nothing.
    private func admit(_ kind: GraphCallKind, completion: @Sendable (GraphResult) -> Void) -> Bool {
        let isMarkRead = kind.isMarkRead
        lock.lock()
        let refusal: SendFailure?
        if !accepting || multi == nil {
            refusal = GraphClient.shutdownFailure
        } else if outstanding >= maxPending {
            refusal = queueFullFailure
        } else if isMarkRead && outstandingMarkReads >= maxPendingMarkReads {
            refusal = markReadsFullFailure
        } else {
            refusal = nil
            outstanding += 1
            if isMarkRead { outstandingMarkReads += 1 }
        }
        lock.unlock()
        guard let refusal else { return true }
        completion(.failure(refusal, latencyMs: 0, rawBody: nil))
        return false
    }

    /// Gives an admitted call's slot back; under `lock`.
    private func releaseSlot(_ kind: GraphCallKind) {
        outstanding -= 1
        if kind.isMarkRead { outstandingMarkReads -= 1 }
    }

    /// Every admitted call ends here, exactly once: the slot is freed before the completion runs,
    /// so a completion that makes the next call finds room.
    private func complete(_ call: GraphCall, _ result: GraphResult) {
        lock.lock()
        releaseSlot(call.kind)
        lock.unlock()
        call.completion(result)
    }

    /// Queues an admitted call for the curl thread.
    private func enqueue(
        phoneNumberID: String, body: [UInt8], correlationID: String, kind: GraphCallKind,
        completion: @escaping @Sendable (GraphResult) -> Void
    ) {
        let call = GraphCall(
            url: messagesURL(phoneNumberID: phoneNumberID), body: body,
            headers: [
                "Authorization: Bearer \(GraphClient.headerSafe(accessToken))",
                "Content-Type: application/json",
                "X-Request-ID: \(GraphClient.headerSafe(correlationID))",
                // No "Expect: 100-continue" round trip for larger bodies.
                "Expect:",
            ],
            kind: kind, startedAt: .now, completion: completion)
        lock.lock()
        guard accepting, let multi else {
            // Shut down since `admit`.
            lock.unlock()
            complete(call, .failure(GraphClient.shutdownFailure, latencyMs: 0, rawBody: nil))
            return
        }
        pending.append(call)
        _ = curl_multi_wakeup(multi)
        lock.unlock()
    }

    static let shutdownFailure = SendFailure.transport("client_shutdown: Graph client stopped before an answer")
    static let setupFailure = SendFailure.transport("client_setup: libcurl could not create a transfer")

    // MARK: the curl thread

    private func runLoop() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        if let multi {
            while true {
                let (calls, stopping) = takePending(limit: maxConcurrent - active.count)
                if stopping { break }
                for call in calls {
                    guard let transfer = CurlTransfer(call: call, connectTimeoutMs: connectTimeoutMs, totalTimeoutMs: totalTimeoutMs) else {
                        complete(call, .failure(GraphClient.setupFailure, latencyMs: call.latencyMs(), rawBody: nil))
                        continue
                    }
                    if curl_multi_add_handle(multi, transfer.easy) != CURLM_OK {
                        transfer.release()
                        complete(call, .failure(GraphClient.setupFailure, latencyMs: call.latencyMs(), rawBody: nil))
                        continue
                    }
                    active[transfer.easy] = transfer
                }
                var running: Int32 = 0
                _ = curl_multi_perform(multi, &running)
                var easy: UnsafeMutableRawPointer?
                var code = CURLE_OK
                while sb_curl_multi_next_done(multi, &easy, &code) == 1 {
                    guard let handle = easy, let transfer = active.removeValue(forKey: handle) else { continue }
                    let result = transfer.result(code: code)
                    _ = curl_multi_remove_handle(multi, handle)
                    transfer.release()
                    complete(transfer.call, result)
                }
                // Sleeps until a socket is ready, a libcurl timer is due, or a wakeup; the 1 s cap
                // is only a backstop.
                var ready: Int32 = 0
                _ = curl_multi_poll(multi, nil, 0, 1000, &ready)
            }
        }
        for (handle, transfer) in active {
            if let multi { _ = curl_multi_remove_handle(multi, handle) }
            transfer.release()
            complete(transfer.call, .failure(GraphClient.shutdownFailure, latencyMs: transfer.call.latencyMs(), rawBody: nil))
        }
        lock.lock()
        accepting = false
        let leftovers = pending[pendingHead...]
        pending = []
        pendingHead = 0
        lock.unlock()
        for call in leftovers {
            complete(call, .failure(GraphClient.shutdownFailure, latencyMs: call.latencyMs(), rawBody: nil))
        }
        if let multi { _ = curl_multi_cleanup(multi) }
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    /// Up to `limit` queued calls in arrival order, and whether shutdown was asked for.
    private func takePending(limit: Int) -> ([GraphCall], Bool) {
        lock.lock()
        defer { lock.unlock() }
        if !accepting { return ([], true) }
        let available = pending.count - pendingHead
        let n = min(max(0, limit), available)
        let calls = Array(pending[pendingHead..<(pendingHead + n)])
        pendingHead += n
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        } else if pendingHead > 1024 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        return (calls, false)
    }
}
