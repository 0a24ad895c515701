import XCTest
@testable import WebSocket

final class WebSocketPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
