// Migration 2 on a database that already holds version-1 rows.
import XCTest
@testable import Store

final class MigrationTwoTests: XCTestCase {
    func testVersionOneMessagesSurviveAndStatusesOutsideTheOldListAreAccepted() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = try Database(path: directory.appendingPathComponent("v1.sqlite").path)
        // Build version 1 exactly as an older build left it.
        try db.execute(Migrations.schemaVersion1)
        try db.execute("PRAGMA user_version = 1")
        try db.execute("INSERT INTO conversations (id, phone_number_id, wa_id) VALUES (7, 'PN', 'W')")
        try db.execute("INSERT INTO messages (id, wamid, conversation_id, direction, status, status_rank) VALUES (3, 'wamid.OLD', 7, 'out', 'sent', 1)")
        XCTAssertThrowsError(try db.execute("UPDATE messages SET status = 'played'"), "version 1 refuses it")

        try Migrations.apply(db)
        XCTAssertEqual(try Migrations.version(of: db), Migrations.latestVersion)  // 2 and every later step
        XCTAssertEqual(try db.firstRow("SELECT wamid, status FROM messages WHERE id = 3") { "\($0.text(0) ?? "")/\($0.text(1) ?? "")" },
                       "wamid.OLD/sent")
        try db.execute("UPDATE messages SET status = 'played', preview = 'p'")
        XCTAssertThrowsError(try db.execute("INSERT INTO messages (wamid, conversation_id, direction) VALUES ('wamid.OLD', 7, 'in')"),
                             "wamid stays unique")
        XCTAssertEqual(try db.firstRow("SELECT count(*) FROM webhook_events") { $0.int64(0) }, 0)
    }
}
