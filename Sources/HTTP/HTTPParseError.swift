// Why a request was refused: the status to answer with, a stable code for logs and metrics, and a
// human message. The codes are a contract (dashboards and tests match on them); add, never rename.

public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    /// One of: bad_request, uri_too_long, headers_too_large, payload_too_large,
    /// request_smuggling, version_not_supported, unsupported_transfer_encoding.
    public let code: String
    public let message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    static func badRequest(_ message: String) -> HTTPParseError {
        HTTPParseError(status: 400, code: "bad_request", message: message)
    }
    static func uriTooLong() -> HTTPParseError {
        HTTPParseError(status: 414, code: "uri_too_long", message: "request line exceeds the limit")
    }
    static func headersTooLarge(_ message: String) -> HTTPParseError {
        HTTPParseError(status: 431, code: "headers_too_large", message: message)
    }
    static func payloadTooLarge() -> HTTPParseError {
        HTTPParseError(status: 413, code: "payload_too_large", message: "body exceeds the limit")
    }
    static func smuggling(_ message: String) -> HTTPParseError {
        HTTPParseError(status: 400, code: "request_smuggling", message: message)
    }
    static func versionNotSupported() -> HTTPParseError {
        HTTPParseError(status: 505, code: "version_not_supported", message: "only HTTP/1.0 and HTTP/1.1 are served")
    }
    static func unsupportedTransferEncoding() -> HTTPParseError {
        HTTPParseError(status: 501, code: "unsupported_transfer_encoding", message: "only Transfer-Encoding: chunked is supported")
    }
}
