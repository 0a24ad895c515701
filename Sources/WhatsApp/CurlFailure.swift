// Maps a libcurl transfer error to the sender's SendFailure vocabulary.
import CCurl
import Resilience

enum CurlFailure {
    /// `afterRequestSent` is the client's best knowledge (see `GraphClient` for the heuristic);
    /// it only matters for CURLE_OPERATION_TIMEDOUT, which libcurl also returns for a connect
    /// timeout, where nothing was sent.
    static func failure(for code: CURLcode, afterRequestSent: Bool) -> SendFailure {
        if code == CURLE_OPERATION_TIMEDOUT {
            return .timeout(afterRequestSent: afterRequestSent)
        }
        let detail = curl_easy_strerror(code).map { String(cString: $0) } ?? "unknown"
        return .transport("\(name(of: code)): \(detail)")
    }

    /// A stable short name for logs and metrics; libcurl's own message follows it.
    static func name(of code: CURLcode) -> String {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST: return "couldnt_resolve_host"
        case CURLE_COULDNT_RESOLVE_PROXY: return "couldnt_resolve_proxy"
        case CURLE_COULDNT_CONNECT: return "couldnt_connect"
        case CURLE_GOT_NOTHING: return "got_nothing"
        case CURLE_SEND_ERROR: return "send_error"
        case CURLE_RECV_ERROR: return "recv_error"
        case CURLE_SSL_CONNECT_ERROR: return "ssl_connect_error"
        case CURLE_PEER_FAILED_VERIFICATION: return "peer_failed_verification"
        case CURLE_PARTIAL_FILE: return "partial_response"
        case CURLE_WEIRD_SERVER_REPLY: return "weird_server_reply"
        case CURLE_HTTP2, CURLE_HTTP2_STREAM: return "http2_error"
        case CURLE_URL_MALFORMAT: return "url_malformat"
        case CURLE_UNSUPPORTED_PROTOCOL: return "unsupported_protocol"
        case CURLE_OUT_OF_MEMORY: return "out_of_memory"
        case CURLE_WRITE_ERROR: return "write_error"
        default: return "curl_\(code.rawValue)"
        }
    }
}
