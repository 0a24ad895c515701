import XCTest
@testable import JSON

final class TopLevelElementsTests: XCTestCase {
    private func elements(_ s: String) -> [String]? {
        let bytes = Array(s.utf8)
        guard let ranges = try? JSONParser.topLevelElements(bytes) else { return nil }
        return ranges.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    func testRangesHoldEachElementVerbatim() {
        XCTAssertEqual(elements(#" [ 1 , "a,]" ,{"k":[2,3]}, null ] "#), ["1", #""a,]""#, #"{"k":[2,3]}"#, "null"])
        XCTAssertEqual(elements("[]"), [])
    }

    func testRefusesWhatParseRefuses() {
        for bad in ["", "{}", "[1,]", "[1 2]", "[", "[1]x", #"["\u{1}"]"#] {
            XCTAssertNil(elements(bad), bad)
        }
        XCTAssertNil(try? JSONParser.topLevelElements(Array("[[1]]".utf8), maxDepth: 1))
    }
}
