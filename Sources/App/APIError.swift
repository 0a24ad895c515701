// The one error type of the HTTP API: a stable code, an HTTP status and a message that is safe
// to show. Every route's failure becomes this envelope, produced here and nowhere else:
// {"error":{"code":"...","message":"...","request_id":"..."}}
import HTTP

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
    public static let internalError = APIError(status: 500, code: "internal_error", message: "internal error; see the server log with this request id")

    func response(requestID: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(96 + message.utf8.count)
        body.append(contentsOf: #"{"error":{"code":"#.utf8)
        JSONText.appendString(code, to: &body)
        body.append(contentsOf: #","message":"#.utf8)
        JSONText.appendString(message, to: &body)
        body.append(contentsOf: #","request_id":"#.utf8)
        JSONText.appendString(requestID, to: &body)
        body.append(contentsOf: "}}".utf8)
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        for (k, v) in headers { h.add(k, v) }
        return HTTPResponse(status: status, headers: h, body: body)
    }
}

/// Minimal JSON string escaping for responses built by hand (no Foundation on the hot path).
enum JSONText {
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func string(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension HTTPResponse {
    static func json(_ status: Int, _ body: String, headers extra: [(String, String)] = []) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        for (k, v) in extra { h.add(k, v) }
        return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
    }

    static func text(_ status: Int, _ body: String) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
    }
}
