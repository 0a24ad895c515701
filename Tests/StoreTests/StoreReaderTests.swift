// Read-only connections beside the writer: they see committed data and cannot write.
import Foundation
import XCTest
@testable import Store

final class StoreReaderTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        scratch = nil
    }

    func testReaderSeesWhatTheWriterCommitted() throws {
        let path = scratch.path("shared.sqlite")
        let writer = try StoreWriter(path: path)
        defer { writer.close() }
        let reader = try StoreReader(path: path, connections: 2)
        defer { reader.close() }

        XCTAssertEqual(try reader.submitAndWait { db in try SQLiteInbox.depth(db).pending }, 0)
        let id = try writer.submitAndWait { db in
            try SQLiteInbox.append(db, body: Array("hello".utf8), signature: "s", correlationID: "c", receivedAtMs: 5)
        }
        let row = try reader.submitAndWait { db in try SQLiteInbox.row(db, id: id) }
        XCTAssertEqual(row?.body, Array("hello".utf8))
        XCTAssertEqual(row?.status, "pending")
    }

    func testManyConcurrentQueriesAllComplete() throws {
        let path = scratch.path("concurrent.sqlite")
        let writer = try StoreWriter(path: path)
        defer { writer.close() }
        try writer.submitAndWait { db in
            for index in 0..<10 { try db.run("INSERT INTO kv (key, value) VALUES (?, ?)", [.text("k\(index)"), .text("\(index)")]) }
        }
        let reader = try StoreReader(path: path, connections: 3)
        defer { reader.close() }
        let results = Collected<(Int, Result<String?, StoreError>)>()
        let done = DispatchGroup()
        for index in 0..<10 {
            done.enter()
            reader.submit({ db in
                try db.firstRow("SELECT value FROM kv WHERE key = ?", [.text("k\(index)")]) { $0.text(0) } ?? nil
            }, completion: { result in
                results.append((index, result))
                done.leave()
            })
        }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(results.values.count, 10)
        for (index, result) in results.values {
            XCTAssertEqual(try result.get(), "\(index)")
        }
    }

    func testReaderCannotWriteAndRefusesWorkAfterClose() throws {
        let path = scratch.path("readonly.sqlite")
        let writer = try StoreWriter(path: path)
        defer { writer.close() }
        let reader = try StoreReader(path: path, connections: 1)
        XCTAssertThrowsError(try reader.submitAndWait { db in try db.run("INSERT INTO kv (key) VALUES ('x')") }) { error in
            XCTAssertEqual((error as? StoreError)?.code, "readonly")
        }
        XCTAssertThrowsError(try reader.submitAndWait { _ in try reader.submitAndWait { _ in 1 } }) { error in
            XCTAssertEqual((error as? StoreError)?.code, "misuse")
        }
        reader.close()
        XCTAssertThrowsError(try reader.submitAndWait { _ in 1 }) { error in
            XCTAssertEqual((error as? StoreError)?.code, "closed")
        }
    }

    func testReaderNeedsAnExistingDatabase() {
        XCTAssertThrowsError(try StoreReader(path: scratch.path("missing.sqlite"))) { error in
            XCTAssertEqual((error as? StoreError)?.code, "cant_open")
        }
    }
}
