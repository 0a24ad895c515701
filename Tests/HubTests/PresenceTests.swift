import XCTest
import JSON
@testable import Hub

/// The presence roster (joins, leaves, closes, silent nodes) and its wire forms, without I/O:
/// time is passed in as plain numbers.
final class PresenceRosterTests: XCTestCase {
    private let a1 = PresenceMember(sub: "alice", conn: "c1", node: "n1")
    private let a2 = PresenceMember(sub: "alice", conn: "c2", node: "n1")
    private let b9 = PresenceMember(sub: "bob", conn: "c9", node: "n2")

    func testJoinAnnouncesOnceAndMembersGroupBySub() {
        var r = PresenceRoster(localNode: "n1")
        XCTAssertEqual(r.join("inbox", a1), PresenceChange(topic: "inbox", joined: [a1]))
        XCTAssertNil(r.join("inbox", a1), "a second join of the same connection announces nothing")
        _ = r.join("inbox", a2)
        _ = r.join("inbox", b9)
        XCTAssertEqual(r.members("inbox"), [PresenceCount(sub: "alice", connections: 2), PresenceCount(sub: "bob", connections: 1)])
        XCTAssertEqual(r.members("other"), [])
    }

    func testLeaveAndLeaveAll() {
        var r = PresenceRoster(localNode: "n1")
        _ = r.join("inbox", a1)
        _ = r.join("conversation.1", a1)
        _ = r.join("inbox", a2)
        XCTAssertEqual(r.leave("inbox", node: "n1", conn: "c2"), PresenceChange(topic: "inbox", left: [a2]))
        XCTAssertNil(r.leave("inbox", node: "n1", conn: "c2"))
        XCTAssertEqual(r.leaveAll(node: "n1", conn: "c1"), [PresenceChange(topic: "conversation.1", left: [a1]),
                                                            PresenceChange(topic: "inbox", left: [a1])])
        XCTAssertEqual(r.members("inbox"), [])
        XCTAssertEqual(r.leaveAll(node: "n1", conn: "c1"), [])
        XCTAssertTrue(r.localMemberships.isEmpty)
    }

    func testSilentRemoteNodeExpiresAfterTTLButNotBefore() {
        var r = PresenceRoster(localNode: "n1")
        _ = r.join("inbox", a1)
        r.nodeSeen("n2", atMs: 1_000)
        _ = r.join("inbox", b9)
        XCTAssertEqual(r.expireSilentNodes(nowMs: 31_000, ttlMs: 30_000), [], "exactly at the TTL it is still alive")
        r.nodeSeen("n2", atMs: 20_000)
        XCTAssertEqual(r.expireSilentNodes(nowMs: 45_000, ttlMs: 30_000), [])
        XCTAssertEqual(r.expireSilentNodes(nowMs: 50_001, ttlMs: 30_000), [PresenceChange(topic: "inbox", left: [b9])])
        XCTAssertEqual(r.members("inbox"), [PresenceCount(sub: "alice", connections: 1)], "local members never expire")
        XCTAssertEqual(r.remoteNodes, [])
    }

    func testLocalNodeIsNeverTrackedAsRemote() {
        var r = PresenceRoster(localNode: "n1")
        r.nodeSeen("n1", atMs: 0)
        XCTAssertEqual(r.remoteNodes, [])
        _ = r.join("inbox", a1)
        XCTAssertEqual(r.expireSilentNodes(nowMs: 1_000_000, ttlMs: 1), [])
        XCTAssertEqual(r.localMemberships.map(\.topic), ["inbox"])
    }

    func testDropNodeGroupsLeavesPerTopic() {
        var r = PresenceRoster(localNode: "n1")
        let b8 = PresenceMember(sub: "bob", conn: "c8", node: "n2")
        _ = r.join("inbox", b9)
        _ = r.join("inbox", b8)
        _ = r.join("alerts", b9)
        XCTAssertEqual(r.dropNode("n2"), [PresenceChange(topic: "alerts", left: [b9]), PresenceChange(topic: "inbox", left: [b8, b9])])
        XCTAssertEqual(r.members("inbox"), [])
    }
}

final class PresenceCodecTests: XCTestCase {
    private func decode(_ text: String) -> Result<ClientOp, ProtocolError> {
        ProtocolCodec.decodeClient(Array(text.utf8))
    }

    func testSubscribeWithPresence() throws {
        XCTAssertEqual(try decode(#"{"op":"subscribe","id":5,"topics":["inbox"],"presence":true}"#).get(),
                       .subscribe(id: .number("5"), topics: [TopicPattern("inbox")!], since: [:], presence: true))
        XCTAssertEqual(try decode(#"{"op":"subscribe","topics":["conversation.*"],"presence":false}"#).get(),
                       .subscribe(id: nil, topics: [TopicPattern("conversation.*")!], since: [:], presence: false))
    }

    func testPresenceRefusesWildcardsAndNonBooleans() {
        guard case .failure(let e) = decode(#"{"op":"subscribe","id":1,"topics":["inbox","conversation.*"],"presence":true}"#) else {
            return XCTFail("a wildcard with presence was accepted")
        }
        XCTAssertEqual(e.code, "bad_request")
        XCTAssertEqual(e.id, .number("1"))
        guard case .failure = decode(#"{"op":"subscribe","topics":["inbox"],"presence":1}"#) else { return XCTFail("presence:1 accepted") }
    }

    func testPresenceRequest() throws {
        XCTAssertEqual(try decode(#"{"op":"presence","id":"p","topic":"inbox"}"#).get(), .presence(id: .string("p"), topic: "inbox"))
        XCTAssertEqual(try decode(#"{"op":"presence","id":"p","topic":"inbox"}"#).get().id, .string("p"))
        for bad in [#"{"op":"presence","id":2,"topic":"conversation.*"}"#, #"{"op":"presence","id":2}"#, #"{"op":"presence","id":2,"topic":7}"#] {
            guard case .failure(let e) = decode(bad) else { return XCTFail("accepted \(bad)") }
            XCTAssertEqual(e.id, .number("2"))
        }
    }

    func testChangeFrameShape() {
        var out: [UInt8] = []
        ProtocolCodec.appendPresenceChange(PresenceChange(topic: "inbox", joined: [PresenceMember(sub: "a\"", conn: "c1", node: "n1")]), to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       #"{"op":"presence","topic":"inbox","joined":[{"sub":"a\"","conn":"c1","node":"n1"}],"left":[]}"#)
    }

    func testAnswerAndBodyShapes() {
        var out: [UInt8] = []
        let members = [PresenceCount(sub: "alice", connections: 2), PresenceCount(sub: "bob", connections: 1)]
        ProtocolCodec.appendPresenceAnswer(id: .number("6"), topic: "inbox", members: members, to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       #"{"op":"presence","id":6,"topic":"inbox","members":[{"sub":"alice","connections":2},{"sub":"bob","connections":1}]}"#)
        XCTAssertEqual(String(decoding: ProtocolCodec.presenceBody(topic: "t", members: []), as: UTF8.self), #"{"topic":"t","members":[]}"#)
    }
}
