// One SQLite connection: open, execute, prepare (with a small statement cache), transactions.
import CSQLite

/// Deliberately not Sendable: only its owner thread touches it (the writer thread, or one
/// reader thread). SQLite is opened with NOMUTEX because that confinement is the locking.
public final class Database {
    let handle: OpaquePointer
    public let isReadOnly: Bool
    /// Statements reused by `run`/`rows`: the hot paths (inbox append, claim) prepare the same
    /// SQL hundreds of times per group, and preparing costs more than executing.
    private var cache: [String: Statement] = [:]
    private static let cacheLimit = 64
    private var savepointDepth = 0

    public init(path: String, readOnly: Bool = false) throws {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var opened: OpaquePointer?
        let result = sqlite3_open_v2(path, &opened, flags, nil)
        guard result == SQLITE_OK, let opened else {
            let error = StoreError.sqlite(result, connection: opened, context: "open")
            sqlite3_close_v2(opened)
            throw error
        }
        handle = opened
        isReadOnly = readOnly
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 5_000)
    }

    deinit {
        cache.removeAll()
        // close_v2: statements still held elsewhere keep the connection alive until finalized.
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without parameters (schema, pragmas, BEGIN/COMMIT).
    public func execute(_ sql: String) throws {
        let result = sqlite3_exec(handle, sql, nil, nil, nil)
        guard result == SQLITE_OK else {
            throw StoreError.sqlite(result, connection: handle, context: "execute")
        }
    }

    /// A fresh statement owned by the caller. Only the first statement of `sql` is prepared.
    public func prepare(_ sql: String) throws -> Statement {
        var prepared: OpaquePointer?
        let result = sqlite3_prepare_v2(handle, sql, -1, &prepared, nil)
        guard result == SQLITE_OK else {
            throw StoreError.sqlite(result, connection: handle, context: "prepare")
        }
        guard let prepared else {
            throw StoreError(code: "misuse", message: "prepare: the SQL contains no statement")
        }
        return Statement(handle: prepared, connection: handle)
    }

    /// Runs a parameterized statement to completion (INSERT/UPDATE/DELETE).
    public func run(_ sql: String, _ values: [SQLValue] = []) throws {
        try withCachedStatement(sql) { statement in
            try statement.bind(values)
            try statement.run()
        }
    }

    /// Runs a query and maps each row while the statement is positioned on it.
    public func rows<T>(_ sql: String, _ values: [SQLValue] = [], _ map: (Statement) throws -> T) throws -> [T] {
        try withCachedStatement(sql) { statement in
            try statement.bind(values)
            var mapped: [T] = []
            while try statement.step() {
                mapped.append(try map(statement))
            }
            return mapped
        }
    }

    /// The first row of a query, mapped, or nil when there is none.
    public func firstRow<T>(_ sql: String, _ values: [SQLValue] = [], _ map: (Statement) throws -> T) throws -> T? {
        try withCachedStatement(sql) { statement in
            try statement.bind(values)
            return try statement.step() ? try map(statement) : nil
        }
    }

    private func withCachedStatement<T>(_ sql: String, _ body: (Statement) throws -> T) throws -> T {
        let statement: Statement
        if let cached = cache[sql], !cached.inUse {
            statement = cached
        } else {
            statement = try prepare(sql)
            if cache[sql] == nil {
                if cache.count >= Self.cacheLimit { cache.removeAll() }
                cache[sql] = statement
            }
        }
        statement.inUse = true
        defer {
            statement.reset()
            statement.inUse = false
        }
        return try body(statement)
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the most recent INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` atomically. Outside a transaction this is BEGIN IMMEDIATE…COMMIT (take the
    /// write lock up front, so no deadlock upgrade later); inside one (a writer job, which
    /// already runs in the group's transaction) it is a savepoint, so it nests.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            savepointDepth += 1
            defer { savepointDepth -= 1 }
            let name = "sb_tx_\(savepointDepth)"
            try execute("SAVEPOINT \(name)")
            do {
                let value = try body()
                try execute("RELEASE \(name)")
                return value
            } catch {
                if isInTransaction {
                    try? execute("ROLLBACK TO \(name)")
                    try? execute("RELEASE \(name)")
                }
                throw error
            }
        }
        try execute(isReadOnly ? "BEGIN" : "BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Reads a single-value pragma (or any one-column query) as text, for checks and tests.
    public func pragma(_ name: String) throws -> String? {
        try firstRow("PRAGMA \(name)") { $0.text(0) } ?? nil
    }
}
