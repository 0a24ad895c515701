import XCTest
@testable import App

final class SocketIOConfigurationTests: XCTestCase {
    func testEventNamesAreParsedAndBadOnesStopStartUp() throws {
        let c = try Configuration.load(environment: ["SWITCHBOARD_SOCKETIO_EVENT_NAMES": "message.received=new_message,message.status=message_status"], flags: [:])
        XCTAssertEqual(c.socketIO.eventNames.name(for: "message.received"), "new_message")
        XCTAssertEqual(c.socketIO.eventNames.name(for: "other"), "other")
        XCTAssertThrowsError(try Configuration.load(environment: ["SWITCHBOARD_SOCKETIO_EVENT_NAMES": "a=connect"], flags: [:]))
        XCTAssertThrowsError(try Configuration.load(environment: ["SWITCHBOARD_SOCKETIO_EVENT_NAMES": "nonsense"], flags: [:]))
    }
}
