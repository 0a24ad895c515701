// The rows of one statement, read in binary format: integers, text and bytea come back as they
// are stored, with no text parsing or hex decoding.
import CPostgres

/// Owns its PGresult (freed when the last reference goes). Not Sendable: read it on the thread
/// that ran the statement.
public final class PostgresResult {
    private let handle: OpaquePointer
    public let rowCount: Int
    public let columnCount: Int
    /// Rows inserted, updated or deleted (the command tag's count), 0 for other statements.
    public let affectedRows: Int

    init(_ handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
        affectedRows = PQcmdTuples(handle).flatMap { Int(String(cString: $0)) } ?? 0
    }

    deinit {
        PQclear(handle)
    }

    public func row(_ index: Int) -> PostgresRow { PostgresRow(result: self, index: index) }

    public var rows: [PostgresRow] { (0..<rowCount).map(row) }

    // MARK: cells. Out-of-range positions read as NULL.

    func isNull(_ row: Int, _ column: Int) -> Bool {
        guard contains(row, column) else { return true }
        return PQgetisnull(handle, Int32(row), Int32(column)) != 0
    }

    /// Raw binary bytes of a cell; empty for NULL.
    func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        guard !isNull(row, column), let pointer = PQgetvalue(handle, Int32(row), Int32(column)) else {
            return body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return body(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    func typeOID(_ column: Int) -> UInt32 {
        guard column >= 0, column < columnCount else { return 0 }
        return PQftype(handle, Int32(column))
    }

    private func contains(_ row: Int, _ column: Int) -> Bool {
        row >= 0 && row < rowCount && column >= 0 && column < columnCount
    }
}

/// One row of a result, read by column position.
public struct PostgresRow {
    let result: PostgresResult
    let index: Int

    public func isNull(_ column: Int) -> Bool { result.isNull(index, column) }

    /// int2/int4/int8 (big-endian in binary format) or bool; 0 for NULL or another type.
    public func int64(_ column: Int) -> Int64 {
        result.withBytes(index, column) { bytes in
            var value: Int64 = 0
            switch bytes.count {
            case 1, 2, 4, 8:
                for byte in bytes { value = value << 8 | Int64(byte) }
                // Sign-extend the narrower integer types.
                let shift = Int64(64 - bytes.count * 8)
                return shift == 0 ? value : (value << shift) >> shift
            default:
                return 0
            }
        }
    }

    public func optionalInt64(_ column: Int) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    /// text/varchar as UTF-8 (invalid sequences repaired, never a crash); nil for NULL.
    public func text(_ column: Int) -> String? {
        guard !isNull(column) else { return nil }
        return result.withBytes(index, column) { String(decoding: $0, as: UTF8.self) }
    }

    /// bytea (or any column) as its exact bytes; empty for NULL.
    public func bytes(_ column: Int) -> [UInt8] {
        result.withBytes(index, column) { Array($0) }
    }
}
