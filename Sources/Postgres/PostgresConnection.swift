// One libpq connection: connect from a URI, run parameterised statements, notice when the
// connection broke and reconnect. Blocking calls: run it on a thread of its own, never on a
// reactor loop.
import CPostgres
import Glibc

/// Deliberately not Sendable: only the thread that owns it touches it (libpq connections are
/// not thread-safe).
public final class PostgresConnection {
    private var handle: OpaquePointer?
    private let url: String
    private let sessionSetup: [String]
    /// Statements prepared on this connection, by SQL and parameter types: the hot statements
    /// (append, claim, apply) are parsed and planned once per connection instead of per call.
    private var prepared: [PreparedKey: String] = [:]
    private static let preparedLimit = 256

    private struct PreparedKey: Hashable {
        let sql: String
        let types: [UInt32]
    }

    /// Connects to `url` (a libpq URI; sslmode and the other parameters pass through) and runs
    /// `sessionSetup` (SET statements). `connectTimeoutS` applies when the URI names none.
    /// Fails with a `.connection` error whose message never contains the password.
    public init(url: String, connectTimeoutS: Int = 10, sessionSetup: [String] = []) throws {
        guard ConnectionURL.hasPostgresScheme(url) else {
            throw PostgresError(kind: .connection, message: "not a postgres:// or postgresql:// URI")
        }
        self.url = url
        self.sessionSetup = sessionSetup
        handle = try Self.connect(url: url, connectTimeoutS: connectTimeoutS)
        do {
            try runSessionSetup()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// False once libpq saw the connection break (server gone, restart, network).
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Drops the broken connection and connects again (same URI, same session set-up).
    public func reconnect(connectTimeoutS: Int = 5) throws {
        close()
        prepared = [:]
        handle = try Self.connect(url: url, connectTimeoutS: connectTimeoutS)
        try runSessionSetup()
    }

    /// True while a transaction block is open (or failed and awaiting ROLLBACK).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Runs SQL without parameters; may hold several statements (schema, BEGIN/COMMIT, SET).
    @discardableResult
    public func execute(_ sql: String) throws -> PostgresResult {
        let handle = try liveHandle()
        return try check(PQexec(handle, sql), handle: handle)
    }

    /// Runs one parameterised statement ($1, $2, ...); results in binary format.
    @discardableResult
    public func query(_ sql: String, _ values: [PostgresValue] = []) throws -> PostgresResult {
        let handle = try liveHandle()
        var types: [UInt32] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var buffers: [[UInt8]?] = []
        types.reserveCapacity(values.count)
        for value in values {
            types.append(value.typeOID)
            switch value {
            case .null:
                buffers.append(nil); lengths.append(0); formats.append(0)
            case .int(let number):
                var big = number.bigEndian
                buffers.append(withUnsafeBytes(of: &big) { Array($0) }); lengths.append(8); formats.append(1)
            case .double(let number):
                var big = number.bitPattern.bigEndian
                buffers.append(withUnsafeBytes(of: &big) { Array($0) }); lengths.append(8); formats.append(1)
            case .text(let string):
                let bytes = Array(string.utf8)
                buffers.append(bytes); lengths.append(Int32(clamping: bytes.count)); formats.append(1)
            case .bytes(let bytes):
                buffers.append(bytes); lengths.append(Int32(clamping: bytes.count)); formats.append(1)
            }
        }
        let name = try preparedName(sql: sql, types: types, handle: handle)
        let result = Self.withPointers(buffers) { pointers in
            if let name {
                return PQexecPrepared(handle, name, Int32(values.count), pointers, lengths, formats, 1)
            }
            return PQexecParams(handle, sql, Int32(values.count), types, pointers, lengths, formats, 1)
        }
        return try check(result, handle: handle)
    }

    // MARK: private

    /// The prepared statement for (sql, types), preparing it on first use; nil once the cache is
    /// full (statements built per call, such as multi-row inserts of varying size, then run
    /// unprepared).
    private func preparedName(sql: String, types: [UInt32], handle: OpaquePointer) throws -> String? {
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        guard prepared.count < Self.preparedLimit else { return nil }
        let name = "sb_\(prepared.count)"
        _ = try check(PQprepare(handle, name, sql, Int32(types.count), types), handle: handle)
        prepared[key] = name
        return name
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: "the connection is closed or broken")
        }
        return handle
    }

    private func runSessionSetup() throws {
        for statement in sessionSetup { try execute(statement) }
    }

    private func check(_ result: OpaquePointer?, handle: OpaquePointer) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, message: Self.message(of: handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        default:
            let state = PQresultErrorField(result, 67 /* PG_DIAG_SQLSTATE 'C' */).map { String(cString: $0) }
            // The primary message only: DETAIL may quote row values ("Key (wamid)=(...)").
            let text = PQresultErrorField(result, 77 /* PG_DIAG_MESSAGE_PRIMARY 'M' */).map { String(cString: $0) } ?? ""
            PQclear(result)
            let message = Self.trimmed(text.isEmpty ? Self.message(of: handle) : text)
            let broken = PQstatus(handle) != CONNECTION_OK
            throw PostgresError(kind: broken ? .connection : .statement, sqlState: state, message: message)
        }
    }

    private static func connect(url: String, connectTimeoutS: Int) throws -> OpaquePointer {
        // The URI comes last so its own connect_timeout (and everything else) wins.
        // TCP keepalives and a user timeout: a server that vanished without a reset (network
        // partition) fails the connection within seconds instead of hanging a store thread.
        let keywords = ["connect_timeout", "application_name", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "dbname"]
        let values = ["\(max(1, connectTimeoutS))", "switchboard", "1", "10", "3", "3", "15000", url]
        let connection = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connection, message: "out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = ConnectionURL.redacting(trimmed(message(of: connection)), passwordOf: url)
            PQfinish(connection)
            throw PostgresError(kind: .connection, message: reason)
        }
        return connection
    }

    private static func message(of handle: OpaquePointer) -> String {
        PQerrorMessage(handle).map { String(cString: $0) } ?? "unknown libpq error"
    }

    /// libpq messages end in a newline and may span lines; one line for logs.
    private static func trimmed(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.joined(separator: " ")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        copies.append(nil)
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }

    private static func withPointers<R>(_ buffers: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        // Copies keep every parameter alive and at a stable address for the call.
        var copies: [UnsafeMutablePointer<CChar>?] = []
        copies.reserveCapacity(buffers.count)
        for buffer in buffers {
            guard let buffer else { copies.append(nil); continue }
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, buffer.count))
            buffer.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: raw.count) }
            }
            copies.append(copy)
        }
        defer { for copy in copies { copy?.deallocate() } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
