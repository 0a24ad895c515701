// The libpq wrapper against a real server: parameters and results round-trip exactly, errors
// carry SQLSTATE, and connection failures never show the password.
import Postgres
import XCTest

final class PostgresConnectionTests: XCTestCase {
    func testParametersAndResultsRoundTripInBinary() throws {
        let connection = try PostgresConnection(url: try TestDatabase.url())
        let body: [UInt8] = [0, 1, 2, 0xff, 0x5c, 0x78]
        let result = try connection.query(
            "SELECT $1::bigint, $2::text, $3::bytea, $4::text IS NULL, $5::bigint, ''::bytea, 7::int4, (-3)::int2",
            [.int(-9_000_000_000), .text("héllo ✓"), .bytes(body), .null, .int(Int64.max)])
        XCTAssertEqual(result.rowCount, 1)
        let row = result.row(0)
        XCTAssertEqual(row.int64(0), -9_000_000_000)
        XCTAssertEqual(row.text(1), "héllo ✓")
        XCTAssertEqual(row.bytes(2), body)
        XCTAssertEqual(row.int64(3), 1)
        XCTAssertEqual(row.int64(4), Int64.max)
        XCTAssertEqual(row.bytes(5), [])
        XCTAssertFalse(row.isNull(5))
        XCTAssertEqual(row.int64(6), 7)
        XCTAssertEqual(row.int64(7), -3)
        XCTAssertTrue(row.isNull(99))
    }

    func testAffectedRowsAndStatementErrorsCarrySQLState() throws {
        let connection = try PostgresConnection(url: try TestDatabase.url())
        try connection.execute("CREATE TEMP TABLE t (id bigint PRIMARY KEY)")
        XCTAssertEqual(try connection.query("INSERT INTO t VALUES ($1), ($2)", [.int(1), .int(2)]).affectedRows, 2)
        XCTAssertThrowsError(try connection.query("INSERT INTO t VALUES ($1)", [.int(1)])) { error in
            let pg = error as? PostgresError
            XCTAssertEqual(pg?.kind, .statement)
            XCTAssertTrue(pg?.isUniqueViolation ?? false)
            XCTAssertFalse(pg?.message.contains("\n") ?? true)
        }
        XCTAssertTrue(connection.isHealthy)
    }

    func testStatementTimeoutIsReportedAsSuch() throws {
        let connection = try PostgresConnection(url: try TestDatabase.url(), sessionSetup: ["SET statement_timeout = 50"])
        XCTAssertThrowsError(try connection.execute("SELECT pg_sleep(2)")) { error in
            XCTAssertTrue((error as? PostgresError)?.isStatementTimeout ?? false, "\(error)")
        }
    }

    func testAnUnreachableServerFailsWithoutShowingThePassword() throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let url = "postgresql://someone:s3cr%40t-pw@127.0.0.1:1/db"
        XCTAssertThrowsError(try PostgresConnection(url: url)) { error in
            let pg = error as? PostgresError
            XCTAssertEqual(pg?.kind, .connection)
            XCTAssertFalse(pg?.message.isEmpty ?? true)
            XCTAssertFalse("\(error)".contains("s3cr"))
        }
    }

    func testOnlyPostgresSchemesAreAccepted() {
        XCTAssertThrowsError(try PostgresConnection(url: "mysql://u:p@h/db"))
        XCTAssertTrue(ConnectionURL.hasPostgresScheme("postgres://h/db"))
        XCTAssertTrue(ConnectionURL.hasPostgresScheme("PostgreSQL://h/db"))
        XCTAssertFalse(ConnectionURL.hasPostgresScheme("/var/lib/db.sqlite"))
    }

    func testRedactionHidesAuthorityAndQueryPasswords() {
        XCTAssertEqual(ConnectionURL.redacted("postgresql://u:pa%3Ass@h:5432/db?sslmode=require"),
                       "postgresql://u:***@h:5432/db?sslmode=require")
        XCTAssertEqual(ConnectionURL.redacting("auth failed for pa:ss", passwordOf: "postgres://u:pa%3Ass@h/db"),
                       "auth failed for ***")
        XCTAssertEqual(ConnectionURL.redacted("postgres://h/db?user=u&password=zz"), "postgres://h/db?user=u&password=***")
        XCTAssertEqual(ConnectionURL.redacted("postgres://u@h/db"), "postgres://u@h/db")
    }
}
