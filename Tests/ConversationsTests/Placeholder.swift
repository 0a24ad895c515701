// Placeholder until the module tests land.
import XCTest
final class ConversationsPlaceholderTests: XCTestCase { func testLinks() { XCTAssertTrue(true) } }
