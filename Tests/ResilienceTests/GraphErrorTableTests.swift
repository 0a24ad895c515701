// The generated Swift table matches Protocol/whatsapp-errors.json entry for entry.

import Foundation
import XCTest

@testable import Resilience

final class GraphErrorTableTests: XCTestCase {
    private func loadJSON() throws -> [[String: Any]] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("Protocol/whatsapp-errors.json"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(object["errors"] as? [[String: Any]])
    }

    func testGeneratedTableMatchesTheJSON() throws {
        let entries = try loadJSON()
        XCTAssertEqual(entries.count, GraphErrors.all.count)
        for entry in entries {
            let code = try XCTUnwrap(entry["code"] as? Int)
            let info = try XCTUnwrap(GraphErrors.info(code: code), "code \(code) missing")
            XCTAssertEqual(info.code, code)
            XCTAssertEqual(info.retryable, entry["retryable"] as? Bool, "code \(code)")
            XCTAssertEqual(info.title, entry["title"] as? String, "code \(code)")
            XCTAssertEqual(info.meaning, entry["meaning"] as? String, "code \(code)")
            XCTAssertEqual(info.retryStrategy, entry["retry_strategy"] as? String, "code \(code)")
            XCTAssertEqual(info.category, entry["category"] as? String, "code \(code)")
            XCTAssertEqual(info.httpStatus, entry["http_status"] as? Int, "code \(code)")
        }
    }

    func testTableIsSortedAndUnique() {
        let codes = GraphErrors.all.map(\.code)
        XCTAssertEqual(codes, codes.sorted())
        XCTAssertEqual(Set(codes).count, codes.count)
    }

    func testLookupOfUnknownCodes() {
        XCTAssertNil(GraphErrors.info(code: 999_999))
        XCTAssertNil(GraphErrors.info(code: -1))
        XCTAssertEqual(GraphErrors.info(code: 299)?.code, 200)
        XCTAssertNil(GraphErrors.info(code: 300))
    }
}
