import XCTest
@testable import App

final class AppPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
