// One blocking JSON POST through libcurl, for background threads that forward something to a
// webhook receiver (alert forwarding). This module is the only one that touches libcurl.
import CCurl

public enum JSONPoster {
    /// POSTs `body` as application/json to `url` and returns the HTTP status, or 0 when no answer
    /// came (connection refused, timeout). Blocks the calling thread: never call it on a loop.
    public static func post(url: String, body: [UInt8], timeoutMs: Int) -> Int {
        GraphClient.globalInit()
        guard let easy = curl_easy_init() else { return 0 }
        defer { curl_easy_cleanup(easy) }
        let headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: application/json")
        defer { curl_slist_free_all(headers) }
        _ = sb_curl_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sb_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, timeoutMs))
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
