// The one error type of the HTTP API: a stable code, an HTTP status and a message that is safe
// to show. Every route's failure becomes this envelope, produced here and nowhere else:
// {"error":{"code":"...","message":"...","request_id":"..."}}
import HTTP
import JSON

public struct APIError: Error, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public var headers: [(String, String)] = []

    public init(status: Int, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func notFound(_ what: String = "no such resource") -> APIError { APIError(status: 404, code: "not_found", message: what) }
    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, code: "bad_request", message: message) }
    public static func unauthorized(_ message: String = "missing or invalid credentials") -> APIError { APIError(status: 401, code: "unauthorized", message: message) }
    public static func forbidden(_ message: String) -> APIError { APIError(status: 403, code: "forbidden", message: message) }
    /// A store failure as a safe answer (codes of the Store module's StoreError): a bad cursor
    /// is the caller's mistake, a busy store is worth a retry, anything else is ours.
    public static func storeFailure(code: String, message: String) -> APIError {
        if code == "bad_cursor" || (code == "job_error" && message.contains("ConversationsError")) { return .badRequest("before is not a valid cursor") }
        if code == "busy" || code == "overloaded" { return APIError(status: 503, code: "store_busy", message: "the store is busy; retry") }
        return .internalError
    }

    public static let internalError = APIError(status: 500, code: "internal_error", message: "internal error; see the server log with this request id")

    package func response(requestID: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(96 + message.utf8.count)
        body.append(contentsOf: #"{"error":{"code":"#.utf8)
        JSONWriter.appendString(code, to: &body)
        body.append(contentsOf: #","message":"#.utf8)
        JSONWriter.appendString(message, to: &body)
        body.append(contentsOf: #","request_id":"#.utf8)
        JSONWriter.appendString(requestID, to: &body)
        body.append(contentsOf: "}}".utf8)
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        for (k, v) in headers { h.add(k, v) }
        return HTTPResponse(status: status, headers: h, body: body)
    }
}

extension HTTPResponse {
    package static func json(_ status: Int, _ body: String, headers extra: [(String, String)] = []) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        for (k, v) in extra { h.add(k, v) }
        return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
    }

    package static func text(_ status: Int, _ body: String) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
    }
}
