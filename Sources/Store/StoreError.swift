// The one error type Store hands to callers: a stable code plus a message that never carries
// SQL arguments (bound values may be webhook bodies, phone numbers or message text).
import CSQLite

public struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Stable, machine-readable: "sqlite_error", "constraint", "busy", "corrupt", "readonly",
    /// "closed", "overloaded", "aborted", "misuse", "too_big", "bind_mismatch", "job_error".
    public let code: String
    /// For people reading logs. Built from SQLite's own message (which names tables and
    /// constraints, never values) or from fixed text.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "StoreError(\(code)): \(message)" }

    public static let closed = StoreError(code: "closed", message: "the store is closed")
}

extension StoreError {
    /// Maps a SQLite result code to a stable code. The message comes from `sqlite3_errmsg`,
    /// which describes the failure without echoing bound parameters.
    static func sqlite(_ result: Int32, connection: OpaquePointer?, context: String) -> StoreError {
        let detail: String
        if let connection, let text = sqlite3_errmsg(connection) {
            detail = String(cString: text)
        } else if let text = sqlite3_errstr(result) {
            detail = String(cString: text)
        } else {
            detail = "unknown error"
        }
        return StoreError(code: code(for: result), message: "\(context): \(detail)")
    }

    static func code(for result: Int32) -> String {
        switch result & 0xff {
        case SQLITE_CONSTRAINT: return "constraint"
        case SQLITE_BUSY, SQLITE_LOCKED: return "busy"
        case SQLITE_CORRUPT, SQLITE_NOTADB: return "corrupt"
        case SQLITE_READONLY: return "readonly"
        case SQLITE_TOOBIG: return "too_big"
        case SQLITE_MISUSE: return "misuse"
        case SQLITE_FULL: return "disk_full"
        case SQLITE_CANTOPEN: return "cant_open"
        default: return "sqlite_error"
        }
    }

    /// A job threw something that is not a StoreError. Only the type name is kept: the
    /// error's own description might quote the data the job was handling.
    static func wrapping(_ error: any Error) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        return StoreError(code: "job_error", message: "job threw \(type(of: error))")
    }
}
