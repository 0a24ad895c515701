import XCTest
@testable import Hub

final class TopicPatternTests: XCTestCase {
    func testTopicNameValidation() {
        for name in ["inbox", "conversation.15551234567", "system.health", "a.b.c", "x_y-z+1@host:2", String(repeating: "a", count: 200)] {
            XCTAssertTrue(TopicName.isValid(name), name)
        }
        for name in ["", ".", "a.", ".a", "a..b", "a b", "a/b", "a.*", "*", "é", String(repeating: "a", count: 201), "a\u{0}"] {
            XCTAssertFalse(TopicName.isValid(name), name.debugDescription)
        }
    }

    func testPatternParsing() {
        XCTAssertNotNil(TopicPattern("conversation.*"))
        XCTAssertNotNil(TopicPattern("a.b.*"))
        XCTAssertNil(TopicPattern("*"))
        XCTAssertNotNil(TopicPattern("*", allowingAll: true))
        for bad in [".*", "a.*.b", "a*", "*.a", "a.**", "a..*", "", "conversation.*x"] {
            XCTAssertNil(TopicPattern(bad, allowingAll: true), bad)
        }
        XCTAssertEqual(TopicPattern("conversation.*")?.description, "conversation.*")
        XCTAssertEqual(TopicPattern("*", allowingAll: true)?.description, "*")
    }

    func testMatching() throws {
        let table: [(String, String, Bool)] = [
            ("inbox", "inbox", true), ("inbox", "inbox.x", false), ("inbox", "inbo", false),
            ("conversation.*", "conversation.1", true), ("conversation.*", "conversation.a.b", true),
            ("conversation.*", "conversation", false), ("conversation.*", "conversations.x", false),
            ("conversation.*", "conversation.", false), ("a.b.*", "a.b.c", true), ("a.b.*", "a.bc.d", false),
            ("*", "anything.at.all", true), ("*", "alerts", true),
        ]
        for (pattern, topic, expected) in table {
            let p = try XCTUnwrap(TopicPattern(pattern, allowingAll: true))
            XCTAssertEqual(p.matches(topic), expected, "\(pattern) ~ \(topic)")
        }
    }

    func testCovers() throws {
        let table: [(String, String, Bool)] = [
            ("*", "conversation.*", true), ("*", "inbox", true), ("conversation.*", "*", false),
            ("conversation.*", "conversation.1", true), ("conversation.*", "conversation.a.*", true),
            ("conversation.*", "conversation.*", true), ("conversation.*", "conversation", false),
            ("conversation.*", "conversations.*", false), ("conversation.a.*", "conversation.*", false),
            ("inbox", "inbox", true), ("inbox", "inbox.*", false), ("inbox.1", "inbox.*", false),
        ]
        for (outer, inner, expected) in table {
            let o = try XCTUnwrap(TopicPattern(outer, allowingAll: true))
            let i = try XCTUnwrap(TopicPattern(inner, allowingAll: true))
            XCTAssertEqual(o.covers(i), expected, "\(outer) covers \(inner)")
        }
    }
}
