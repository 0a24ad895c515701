import XCTest
@testable import Reactor

final class ReactorPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
