import XCTest
@testable import Hub

final class SubscriptionGateTests: XCTestCase {
    private func gate(_ role: Role, _ topics: [String]) -> SubscriptionGate {
        SubscriptionGate(claims: TokenClaims(sub: "t", role: role, topics: topics.map { TopicPattern($0, allowingAll: true)! }, exp: 0))
    }

    func testTopicsOutsideTheTokenRefuseTheWholeRequest() {
        var g = gate(.agent, ["inbox"])
        XCTAssertEqual(g.admit([TopicPattern("inbox")!, TopicPattern("conversation.1")!]),
                       ClientRefusal(code: "forbidden", message: "token does not allow conversation.1"))
        XCTAssertTrue(g.held.isEmpty, "nothing of a refused request is held")
        XCTAssertNil(g.admit([TopicPattern("inbox")!]))
        XCTAssertEqual(g.held, [TopicPattern("inbox")!])
    }

    func testAtMostMaxSubscriptionsHeldAndRepeatsDoNotCount() {
        var g = gate(.agent, ["conversation.*"])
        let all = (0..<SubscriptionGate.maxSubscriptions).map { TopicPattern("conversation.\($0)")! }
        XCTAssertNil(g.admit(all))
        XCTAssertNil(g.admit([all[0]]), "already held")
        XCTAssertEqual(g.admit([TopicPattern("conversation.x")!])?.code, "bad_request")
        g.release([all[0]])
        XCTAssertNil(g.admit([TopicPattern("conversation.x")!]))
    }

    func testOnlyServiceTokensPublish() {
        XCTAssertEqual(gate(.agent, ["inbox"]).publishRefusal?.code, "forbidden")
        XCTAssertEqual(gate(.ops, ["*"]).publishRefusal?.code, "forbidden")
        XCTAssertNil(gate(.service, ["*"]).publishRefusal)
    }
}
