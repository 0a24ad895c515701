// Turns a finished HTTP exchange with the Graph API (status and body bytes) into a GraphResult.
// Pure: no I/O, so every malformed answer Graph (or a proxy) can give is unit-tested.
import JSON
import Resilience

/// Which endpoint answered, because success looks different for each.
enum GraphCallKind: Sendable, Equatable {
    /// POST /messages with a message: success carries `messages[0].id`.
    case send
    /// POST /messages with `status: read`: success is `{"success":true}`.
    case markRead(wamid: String)

    var isMarkRead: Bool {
        if case .markRead = self { return true }
        return false
    }
}

enum GraphResponseInterpreter {
    /// How much of a response body is kept for logs.
    static let rawBodyLimit = 2048

    /// Largest body we parse; Graph answers are a few hundred bytes, so more is a broken proxy.
    static let maxParsedBytes = 64 * 1024

    static func result(kind: GraphCallKind, status: Int, body: [UInt8], latencyMs: Double) -> GraphResult {
        let json = try? JSONParser.parse(body, maxDepth: 32, maxBytes: maxParsedBytes)
        guard (200...299).contains(status) else {
            return .failure(httpFailure(status: status, json: json), latencyMs: latencyMs, rawBody: rawBody(body))
        }
        switch kind {
        case .send:
            if let id = json?["messages"]?.arrayValue?.first?["id"]?.stringValue, !id.isEmpty {
                return .success(wamid: id, httpStatus: status, latencyMs: latencyMs)
            }
        case .markRead(let wamid):
            if json?["success"]?.boolValue == true {
                return .success(wamid: wamid, httpStatus: status, latencyMs: latencyMs)
            }
        }
        // A 2xx that does not say what success says: we cannot know the wamid, so status
        // webhooks could never be matched. Reported as HTTP <status> with no Graph code, which
        // FailureClassifier treats as permanent ("http.200"): retrying the same request against
        // an API that answers like this would most likely send duplicates.
        return .failure(
            .http(status: status, graphCode: nil, subcode: nil,
                  title: unexpectedSuccessTitle(kind), details: nil),
            latencyMs: latencyMs, rawBody: rawBody(body))
    }

    static func unexpectedSuccessTitle(_ kind: GraphCallKind) -> String {
        switch kind {
        case .send: return "success response without messages[0].id"
        case .markRead: return "success response without success:true"
        }
    }

    /// Reads the Graph error envelope `{"error":{"message","type","code","error_data":{"details"},
    /// "error_subcode","fbtrace_id"}}`; any part may be missing (a proxy's HTML 502 has none).
    static func httpFailure(status: Int, json: JSONValue?) -> SendFailure {
        let error = json?["error"]
        return .http(
            status: status,
            graphCode: error?["code"]?.intValue.flatMap { Int(exactly: $0) },
            subcode: error?["error_subcode"]?.intValue.flatMap { Int(exactly: $0) },
            title: error?["message"]?.stringValue,
            details: error?["error_data"]?["details"]?.stringValue)
    }

    static func rawBody(_ body: [UInt8]) -> String? {
        if body.isEmpty { return nil }
        return String(decoding: body.prefix(rawBodyLimit), as: UTF8.self)
    }
}
