// One PostgreSQL connection as the store's SQL files use it: parameterised run/rows/firstRow,
// nested transactions as savepoints, errors as StoreError. Confined to the thread that owns it.
import Postgres

/// Deliberately not Sendable, like `Database`: the writer thread or one reader thread owns it.
public final class PostgresSession {
    let connection: PostgresConnection
    private var savepointDepth = 0

    init(_ connection: PostgresConnection) {
        self.connection = connection
    }

    /// Runs SQL without parameters (schema, BEGIN/COMMIT, SET).
    func execute(_ sql: String) throws {
        do { try connection.execute(sql) } catch { throw StoreError.postgres(error) }
    }

    /// Runs a parameterised statement; returns the rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [PostgresValue] = []) throws -> Int {
        do { return try connection.query(sql, values).affectedRows } catch { throw StoreError.postgres(error) }
    }

    func rows<T>(_ sql: String, _ values: [PostgresValue] = [], _ map: (PostgresRow) throws -> T) throws -> [T] {
        let result: PostgresResult
        do { result = try connection.query(sql, values) } catch { throw StoreError.postgres(error) }
        return try (0..<result.rowCount).map { try map(result.row($0)) }
    }

    func firstRow<T>(_ sql: String, _ values: [PostgresValue] = [], _ map: (PostgresRow) throws -> T) throws -> T? {
        try rows(sql, values, map).first
    }

    var isInTransaction: Bool { connection.isInTransaction }

    /// BEGIN…COMMIT outside a transaction, a savepoint inside one (so it nests).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            savepointDepth += 1
            defer { savepointDepth -= 1 }
            let name = "sb_tx_\(savepointDepth)"
            try execute("SAVEPOINT \(name)")
            do {
                let value = try body()
                try execute("RELEASE SAVEPOINT \(name)")
                return value
            } catch {
                if isInTransaction {
                    try? execute("ROLLBACK TO SAVEPOINT \(name)")
                    try? execute("RELEASE SAVEPOINT \(name)")
                }
                throw error
            }
        }
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }
}

extension StoreError {
    /// Stable codes for PostgreSQL failures: "unavailable" when the server cannot be reached
    /// (callers answer 503 and the store reconnects), "timeout" for the statement timeout,
    /// "constraint" for integrity violations, "postgres_error" otherwise.
    static func postgres(_ error: any Error) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        guard let pg = error as? PostgresError else { return wrapping(error) }
        if pg.isConnectionLoss { return StoreError(code: "unavailable", message: "database unavailable: \(pg.message)") }
        if pg.isStatementTimeout { return StoreError(code: "timeout", message: "statement timeout: \(pg.message)") }
        if pg.sqlState?.hasPrefix("23") == true { return StoreError(code: "constraint", message: pg.message) }
        return StoreError(code: "postgres_error", message: "\(pg.sqlState ?? "-----"): \(pg.message)")
    }
}
