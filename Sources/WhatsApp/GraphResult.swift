// What one Graph API call ended with, as the outbound sender consumes it.
import Resilience

/// The outcome of one `GraphClient.send` or `markRead` call.
///
/// `latencyMs` runs from the moment the call was made (queueing inside the client included) to
/// the moment the answer, error or timeout was seen, so it is what the outbox actually waited.
public enum GraphResult: Sendable, Equatable {
    /// Graph accepted the request. For a send, `wamid` is `messages[0].id`; for a mark-as-read,
    /// it is the wamid that was marked.
    case success(wamid: String, httpStatus: Int, latencyMs: Double)
    /// The call failed; `FailureClassifier.classify` turns the failure into a retry verdict.
    /// `rawBody` is the start of the response body (at most `GraphResponseInterpreter.rawBodyLimit`
    /// bytes) for logs only: never show it to agents and never decide on it.
    case failure(SendFailure, latencyMs: Double, rawBody: String?)

    public var latencyMs: Double {
        switch self {
        case .success(_, _, let ms): return ms
        case .failure(_, let ms, _): return ms
        }
    }
}
