import XCTest
@testable import Reactor

/// A test case with one event loop running on its own thread for each test, stopped and joined
/// after it: the set-up the loop, inbox and read-interest tests share.
class OneLoopTestCase: XCTestCase {
    var group: EventLoopGroup!
    var loop: EventLoop { group.loops[0] }

    override func setUp() {
        group = try! EventLoopGroup(count: 1)
        group.start()
    }

    override func tearDown() {
        group.stopAndJoin()
    }
}
