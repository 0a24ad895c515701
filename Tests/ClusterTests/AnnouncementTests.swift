import XCTest
import Hub
@testable import Cluster

final class AnnouncementTests: XCTestCase {
    func testEventRoundTripMatchesLocalEncoding() {
        let tail = Announcement.eventTail(type: "m", ts: 77, data: Array("{\"a\":\n1}".utf8), meta: Array("{}".utf8))
        let event = Array(#"{"seq":12"#.utf8) + tail
        XCTAssertEqual(event, EncodedEvent(seq: 12, type: "m", ts: 77, data: Array("{\"a\":\n1}".utf8), meta: Array("{}".utf8)).bytes)
        let message = Array("conversation.1\nep\n12\n77\n".utf8) + event
        XCTAssertEqual(Announcement.decode(message), .event(topic: "conversation.1", epoch: "ep", seq: 12, ts: 77, encoded: event))
    }

    func testControlMessagesRoundTrip() {
        for a in [Announcement.heartbeat(node: "n1", sentMs: 5), .hello(node: "n2"),
                  .joined(node: "n1", topic: "inbox", sub: "a b", conn: "c1"), .left(node: "n1", topic: "inbox", sub: "x", conn: "c2")] {
            XCTAssertEqual(Announcement.decode(a.encoded!), a)
        }
        XCTAssertNil(Announcement.joined(node: "n", topic: "t", sub: "a\nb", conn: "c").encoded)
    }

    func testMalformedIsIgnored() {
        for bad in ["", "!", "!hb\nn", "!hb\nn\nx", "!zz\na", "t\ne\n1\n2", "bad topic\ne\n1\n2\n{}", "t\n\n1\n2\n{}",
                    "t\ne\n0\n2\n{}", "t\ne\nx\n2\n{}", "t\ne\n1\n2\n"] {
            XCTAssertNil(Announcement.decode(Array(bad.utf8)), bad.debugDescription)
        }
    }
}
