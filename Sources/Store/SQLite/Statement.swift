// A prepared SQLite statement: bind, step, read columns, reset. Finalized in deinit.
import CSQLite

/// Deliberately not Sendable: it belongs to the thread that owns its connection.
public final class Statement {
    let handle: OpaquePointer
    /// Kept for error messages only. The statement does not retain its `Database`: SQLite's
    /// `sqlite3_close_v2` keeps the connection alive until the last statement is finalized.
    private let connection: OpaquePointer
    /// True while a cached statement is handed out, so nested use of the same SQL gets a
    /// fresh statement instead of clobbering this one.
    var inUse = false

    init(handle: OpaquePointer, connection: OpaquePointer) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// Binds all parameters positionally. The count must match the SQL exactly: a missing value
    /// silently bound as NULL is a bug we would rather hear about.
    public func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard values.count == parameterCount else {
            throw StoreError(code: "bind_mismatch",
                             message: "statement takes \(parameterCount) parameters, got \(values.count)")
        }
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    private func bind(_ value: SQLValue, at index: Int32) throws {
        let result: Int32
        switch value {
        case .null:
            result = sqlite3_bind_null(handle, index)
        case .int(let number):
            result = sqlite3_bind_int64(handle, index, number)
        case .double(let number):
            result = sqlite3_bind_double(handle, index, number)
        case .text(let string):
            var string = string
            result = try string.withUTF8 { bytes -> Int32 in
                guard let length = Int32(exactly: bytes.count) else { throw Self.tooBig(index) }
                return bytes.withMemoryRebound(to: CChar.self) {
                    // A zero-length buffer may have a nil base address, which SQLite would bind
                    // as NULL; an empty literal keeps it an empty string.
                    guard let base = $0.baseAddress else {
                        return sb_sqlite3_bind_text_transient(handle, index, "", 0)
                    }
                    return sb_sqlite3_bind_text_transient(handle, index, base, length)
                }
            }
        case .blob(let bytes):
            result = try bytes.withUnsafeBytes { raw -> Int32 in
                guard let length = Int32(exactly: raw.count) else { throw Self.tooBig(index) }
                // Same nil-base trap as text: an empty body must stay an empty blob, not NULL.
                guard let base = raw.baseAddress, length > 0 else {
                    return sqlite3_bind_zeroblob(handle, index, 0)
                }
                return sb_sqlite3_bind_blob_transient(handle, index, base, length)
            }
        }
        guard result == SQLITE_OK else {
            throw StoreError.sqlite(result, connection: connection, context: "bind parameter \(index)")
        }
    }

    private static func tooBig(_ index: Int32) -> StoreError {
        StoreError(code: "too_big", message: "parameter \(index) exceeds the 2 GiB SQLite limit")
    }

    /// Returns true when a row is available, false when the statement is done.
    public func step() throws -> Bool {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = StoreError.sqlite(result, connection: connection, context: "step")
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps to completion, ignoring rows: for INSERT/UPDATE/DELETE.
    public func run() throws {
        while try step() {}
    }

    public func reset() {
        sqlite3_reset(handle)
    }

    // MARK: columns. An index outside 0..<columnCount reads as NULL (SQLite's own answer).

    public func isNull(_ column: Int) -> Bool {
        guard let index = columnIndex(column) else { return true }
        return sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    public func int64(_ column: Int) -> Int64 {
        guard let index = columnIndex(column) else { return 0 }
        return sqlite3_column_int64(handle, index)
    }

    public func optionalInt64(_ column: Int) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    public func double(_ column: Int) -> Double {
        guard let index = columnIndex(column) else { return 0 }
        return sqlite3_column_double(handle, index)
    }

    /// nil for SQL NULL. Invalid UTF-8 is repaired (U+FFFD), never a crash.
    public func text(_ column: Int) -> String? {
        guard let index = columnIndex(column), sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let length = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The exact bytes stored; empty for NULL or a zero-length blob.
    public func blob(_ column: Int) -> [UInt8] {
        guard let index = columnIndex(column) else { return [] }
        // SQLite's rule: fetch the pointer first, then its length (a type conversion may move it).
        guard let pointer = sqlite3_column_blob(handle, index) else { return [] }
        let length = Int(sqlite3_column_bytes(handle, index))
        guard length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    private func columnIndex(_ column: Int) -> Int32? {
        guard column >= 0, column < columnCount else { return nil }
        return Int32(column)
    }
}
