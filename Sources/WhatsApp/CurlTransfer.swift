// One Graph request inside GraphClient's curl thread: its easy handle, headers and response bytes.
import CCurl
import Resilience

/// A queued call, as handed from a caller's thread to the curl thread.
struct GraphCall: Sendable {
    let url: String
    let body: [UInt8]
    let headers: [String]
    let kind: GraphCallKind
    let startedAt: ContinuousClock.Instant
    let completion: @Sendable (GraphResult) -> Void

    func latencyMs(now: ContinuousClock.Instant = .now) -> Double {
        let d = startedAt.duration(to: now).components
        return Double(d.seconds) * 1000 + Double(d.attoseconds) / 1e15
    }
}

/// Confined to the curl thread; never shared.
final class CurlTransfer {
    /// Bigger answers are cut here; Graph's are a few hundred bytes.
    static let maxResponseBytes = 64 * 1024

    let call: GraphCall
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private(set) var response: [UInt8] = []

    /// Nil when libcurl could not allocate a handle or a header.
    init?(call: GraphCall, connectTimeoutMs: Int, totalTimeoutMs: Int) {
        guard let easy = curl_easy_init() else { return nil }
        self.call = call
        self.easy = easy
        for header in call.headers {
            guard let list = curl_slist_append(headerList, header) else {
                curl_slist_free_all(headerList)
                curl_easy_cleanup(easy)
                return nil
            }
            headerList = list
        }
        configure(connectTimeoutMs: connectTimeoutMs, totalTimeoutMs: totalTimeoutMs)
    }

    private func configure(connectTimeoutMs: Int, totalTimeoutMs: Int) {
        _ = sb_curl_easy_setopt_string(easy, CURLOPT_URL, call.url)
        // Signals are not an option in a multi-threaded process; resolver timeouts rely on the
        // threaded resolver libcurl is built with.
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMs)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, totalTimeoutMs)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_POST, 1)
        _ = sb_curl_easy_setopt_string(easy, CURLOPT_USERAGENT, "switchboard")
        _ = sb_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        // COPYPOSTFIELDS copies now, so the Swift array need not outlive this call.
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, call.body.count)
        call.body.withUnsafeBytes { raw in
            if let base = raw.baseAddress {
                _ = sb_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
            } else {
                _ = sb_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            }
        }
        _ = sb_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
        _ = sb_curl_easy_setopt_write_function(easy) { data, size, count, context in
            guard let context else { return 0 }
            let (total, overflow) = size.multipliedReportingOverflow(by: count)
            if overflow { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            if let data, total > 0 {
                transfer.append(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        let room = CurlTransfer.maxResponseBytes - response.count
        if room > 0 { response.append(contentsOf: bytes.prefix(room)) }
    }

    /// What the exchange ended with, read from the handle once libcurl reports it done.
    func result(code: CURLcode) -> GraphResult {
        let latency = call.latencyMs()
        guard code == CURLE_OK else {
            return .failure(
                CurlFailure.failure(for: code, afterRequestSent: requestWasSent()),
                latencyMs: latency, rawBody: GraphResponseInterpreter.rawBody(response))
        }
        var status = 0
        _ = sb_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return GraphResponseInterpreter.result(kind: call.kind, status: status, body: response, latencyMs: latency)
    }

    /// Heuristic for "Graph may have the message": libcurl counts the request header bytes it
    /// wrote (CURLINFO_REQUEST_SIZE) and the body bytes uploaded (CURLINFO_SIZE_UPLOAD_T). Our
    /// bodies are small, so libcurl writes them right behind the headers; once either count is
    /// non-zero, bytes reached the socket and the server may act on them. A connect timeout or
    /// one spent in DNS/TLS leaves both at zero. Erring towards `true` is the safe side: it only
    /// flags a possible duplicate, the retry happens either way.
    private func requestWasSent() -> Bool {
        var requestSize = 0
        var uploaded: curl_off_t = 0
        _ = sb_curl_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
        _ = sb_curl_easy_getinfo_off_t(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded)
        return requestSize > 0 || uploaded > 0
    }

    /// Must be called after the handle left the multi handle.
    func release() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
    }
}
