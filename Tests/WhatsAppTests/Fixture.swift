// Loads the wire-shaped JSON fixtures from the test bundle as raw bytes (never re-serialised).
import Foundation
import XCTest

enum Fixture {
    static func bytes(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
            "fixture \(name).json not found", file: file, line: line)
        return Array(try Data(contentsOf: url))
    }
}
