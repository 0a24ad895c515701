// Database, Statement, Migrations and StoreError on a real SQLite file.
import XCTest
@testable import Store

final class DatabaseTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        scratch = nil
    }

    private func migratedDatabase() throws -> Database {
        let db = try Database(path: scratch.path("test.sqlite"))
        try Migrations.apply(db)
        return db
    }

    func testMigrationsAreIdempotentAndCreateEveryTable() throws {
        let db = try migratedDatabase()
        XCTAssertEqual(try Migrations.version(of: db), Migrations.latestVersion)
        try Migrations.apply(db)
        try Migrations.apply(db)
        XCTAssertEqual(try Migrations.version(of: db), Migrations.latestVersion)

        let tables = Set(try db.rows("SELECT name FROM sqlite_master WHERE type = 'table'") { $0.text(0) ?? "" })
        for table in ["inbox", "dead_letters", "contacts", "conversations", "messages", "statuses", "outbox", "kv"] {
            XCTAssertTrue(tables.contains(table), "missing table \(table)")
        }
        let indexes = Set(try db.rows("SELECT name FROM sqlite_master WHERE type = 'index'") { $0.text(0) ?? "" })
        XCTAssertTrue(indexes.contains("inbox_by_status_due"))
        XCTAssertTrue(indexes.contains("outbox_by_status_due"))
    }

    func testMigrationsRefuseANewerSchema() throws {
        let db = try Database(path: scratch.path("newer.sqlite"))
        try db.execute("PRAGMA user_version = 99")
        XCTAssertThrowsError(try Migrations.apply(db)) { error in
            XCTAssertEqual((error as? StoreError)?.code, "schema_too_new")
        }
    }

    func testValuesRoundTripIncludingEdgeCases() throws {
        let db = try Database(path: scratch.path("values.sqlite"))
        try db.execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)")
        let bytes: [UInt8] = [0, 255, 1, 0, 13, 10]
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                   [.int(Int64.min), .double(-1.5), .text("héllo \u{1F600}"), .blob(bytes), .null])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.int(Int64.max), .double(0), .text(""), .blob([]), .null])

        let rows = try db.rows("SELECT i, d, s, b, n FROM t ORDER BY rowid") { row in
            (row.int64(0), row.double(1), row.text(2), row.blob(3), row.isNull(3), row.text(4), row.isNull(4))
        }
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0].0, Int64.min)
        XCTAssertEqual(rows[0].1, -1.5)
        XCTAssertEqual(rows[0].2, "héllo \u{1F600}")
        XCTAssertEqual(rows[0].3, bytes)
        XCTAssertNil(rows[0].5)
        XCTAssertTrue(rows[0].6)
        XCTAssertEqual(rows[1].0, Int64.max)
        XCTAssertEqual(rows[1].2, "", "an empty string stays a string, not NULL")
        XCTAssertEqual(rows[1].3, [])
        XCTAssertFalse(rows[1].4, "an empty blob stays a blob, not NULL")
    }

    func testInvalidUTF8AndOutOfRangeColumnsDoNotCrash() throws {
        let db = try Database(path: scratch.path("utf8.sqlite"))
        let statement = try db.prepare("SELECT CAST(? AS TEXT)")
        try statement.bind([.blob([0xff, 0xfe, 0x41])])
        XCTAssertTrue(try statement.step())
        XCTAssertEqual(statement.text(0), "\u{FFFD}\u{FFFD}A")
        XCTAssertTrue(statement.isNull(7))
        XCTAssertTrue(statement.isNull(-1))
        XCTAssertEqual(statement.int64(7), 0)
        XCTAssertEqual(statement.blob(7), [])
        XCTAssertNil(statement.text(-3))
        XCTAssertFalse(try statement.step())
    }

    func testStatementCanBeResetAndReused() throws {
        let db = try Database(path: scratch.path("reuse.sqlite"))
        let statement = try db.prepare("SELECT ? * 2")
        for value in [Int64(1), 21, -4] {
            try statement.bind([.int(value)])
            XCTAssertTrue(try statement.step())
            XCTAssertEqual(statement.int64(0), value * 2)
            statement.reset()
        }
    }

    func testBindCountMismatchIsAnError() throws {
        let db = try Database(path: scratch.path("bind.sqlite"))
        XCTAssertThrowsError(try db.run("SELECT ?, ?", [.int(1)])) { error in
            XCTAssertEqual((error as? StoreError)?.code, "bind_mismatch")
        }
        XCTAssertThrowsError(try db.run("SELECT 1", [.int(1)])) { error in
            XCTAssertEqual((error as? StoreError)?.code, "bind_mismatch")
        }
    }

    func testSyntaxErrorAndEmptySQLAreErrors() throws {
        let db = try Database(path: scratch.path("syntax.sqlite"))
        XCTAssertThrowsError(try db.prepare("SELEKT 1")) { error in
            XCTAssertEqual((error as? StoreError)?.code, "sqlite_error")
        }
        XCTAssertThrowsError(try db.prepare("   ")) { error in
            XCTAssertEqual((error as? StoreError)?.code, "misuse")
        }
    }

    func testOpeningAMissingFileReadOnlyFails() throws {
        XCTAssertThrowsError(try Database(path: scratch.path("absent.sqlite"), readOnly: true)) { error in
            XCTAssertEqual((error as? StoreError)?.code, "cant_open")
        }
    }

    func testNestedTransactionRollsBackOnlyTheInnerPart() throws {
        let db = try migratedDatabase()
        try db.transaction {
            try db.run("INSERT INTO kv (key, value) VALUES ('outer', '1')")
            XCTAssertThrowsError(try db.transaction { () throws -> Void in
                try db.run("INSERT INTO kv (key, value) VALUES ('inner', '2')")
                throw StoreError(code: "test", message: "inner fails")
            })
            XCTAssertTrue(db.isInTransaction)
        }
        XCTAssertFalse(db.isInTransaction)
        let keys = try db.rows("SELECT key FROM kv ORDER BY key") { $0.text(0) }
        XCTAssertEqual(keys, ["outer"])
    }

    func testErrorMessagesNeverContainBoundValues() throws {
        let db = try migratedDatabase()
        let secret = "secret-4915112345678"
        try db.run("INSERT INTO kv (key, value) VALUES (?, ?)", [.text(secret), .text(secret)])

        var errors: [StoreError] = []
        func capture(_ body: () throws -> Void) {
            do { try body(); XCTFail("expected an error") } catch let error as StoreError { errors.append(error) } catch {
                XCTFail("not a StoreError: \(error)")
            }
        }
        capture { try db.run("INSERT INTO kv (key, value) VALUES (?, ?)", [.text(secret), .text(secret)]) }
        capture {
            try db.run("INSERT INTO inbox (received_at_ms, body, status, next_attempt_at_ms) VALUES (1, ?, ?, 1)",
                       [.blob(Array(secret.utf8)), .text(secret)])
        }
        capture {
            try db.run("INSERT INTO inbox (id, received_at_ms, body, next_attempt_at_ms) VALUES (?, 1, x'00', 1)",
                       [.text(secret)])
        }
        XCTAssertEqual(errors.map(\.code), ["constraint", "constraint", "sqlite_error"])
        for error in errors {
            XCTAssertFalse(error.message.contains(secret), error.message)
            XCTAssertFalse(error.description.contains(secret), error.description)
            XCTAssertFalse(error.message.contains("4915112345678"), error.message)
        }
    }

    func testForeignErrorsKeepOnlyTheirTypeName() {
        struct LeakyError: Error, CustomStringConvertible {
            var description: String { "payload was secret-body" }
        }
        let wrapped = StoreError.wrapping(LeakyError())
        XCTAssertEqual(wrapped.code, "job_error")
        XCTAssertFalse(wrapped.description.contains("secret-body"))
        let original = StoreError(code: "constraint", message: "m")
        XCTAssertEqual(StoreError.wrapping(original), original)
    }
}
