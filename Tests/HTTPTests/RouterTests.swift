// Router: literal and parameter segments, 404, 405 with Allow, HEAD→GET, trailing slashes.
import XCTest
@testable import HTTP

final class RouterTests: XCTestCase {
    private func router() -> Router<String> {
        var router = Router<String>()
        router.add(.get, "/api/conversations", "list")
        router.add(.get, "/api/conversations/{wa_id}/messages", "messages")
        router.add(.post, "/api/conversations/{wa_id}/messages", "send")
        router.add(.get, "/api/conversations/{wa_id}", "one")
        router.add(.get, "/api/conversations/search", "search")
        router.add(.post, "/webhooks/whatsapp", "webhook")
        router.add(.get, "/", "root")
        return router
    }

    private func found(_ match: RouteMatch<String>) -> (String, [String: String], String)? {
        if case .found(let handler, let params, let pattern) = match { return (handler, params, pattern) }
        return nil
    }

    func testLiteralRoute() throws {
        let (handler, params, pattern) = try XCTUnwrap(found(router().match(.get, path: "/api/conversations")))
        XCTAssertEqual(handler, "list")
        XCTAssertEqual(params, [:])
        XCTAssertEqual(pattern, "/api/conversations")
        XCTAssertEqual(found(router().match(.get, path: "/"))?.0, "root")
    }

    func testParametersArePercentDecoded() throws {
        let (handler, params, pattern) = try XCTUnwrap(found(router().match(.post, path: "/api/conversations/%2B15551234/messages")))
        XCTAssertEqual(handler, "send")
        XCTAssertEqual(params, ["wa_id": "+15551234"])
        XCTAssertEqual(pattern, "/api/conversations/{wa_id}/messages")
        XCTAssertEqual(found(router().match(.get, path: "/api/conversations/a+b"))?.1, ["wa_id": "a+b"], "'+' is literal in paths")
    }

    func testLiteralBeatsParameterWhateverTheOrder() {
        XCTAssertEqual(found(router().match(.get, path: "/api/conversations/search"))?.0, "search")
        XCTAssertEqual(found(router().match(.get, path: "/api/conversations/other"))?.0, "one")
    }

    func testNotFound() {
        for path in ["/nope", "/api", "/api/conversations/x/messages/y", "/api/conversations//messages", ""] {
            guard case .notFound = router().match(.get, path: path) else { return XCTFail("\(path) matched") }
        }
    }

    func testTrailingSlashIsSignificant() {
        guard case .notFound = router().match(.get, path: "/api/conversations/") else { return XCTFail("trailing slash matched") }
        guard case .notFound = router().match(.post, path: "/webhooks/whatsapp/") else { return XCTFail("trailing slash matched") }
    }

    func testMethodNotAllowedListsTheAllowedMethods() {
        guard case .methodNotAllowed(let allow) = router().match(.delete, path: "/api/conversations/1/messages") else {
            return XCTFail("expected 405")
        }
        XCTAssertEqual(allow, ["GET", "HEAD", "OPTIONS", "POST"])
        guard case .methodNotAllowed(let webhookAllow) = router().match(.get, path: "/webhooks/whatsapp") else {
            return XCTFail("expected 405")
        }
        XCTAssertEqual(webhookAllow, ["OPTIONS", "POST"])
    }

    func testHeadFallsBackToGetButNotToOthers() {
        XCTAssertEqual(found(router().match(.head, path: "/api/conversations/1/messages"))?.0, "messages")
        guard case .methodNotAllowed = router().match(.head, path: "/webhooks/whatsapp") else { return XCTFail("HEAD used POST") }
    }

    func testExplicitHeadRouteWins() {
        var router = router()
        router.add(.head, "/api/conversations", "head")
        XCTAssertEqual(found(router.match(.head, path: "/api/conversations"))?.0, "head")
    }

    func testOptionsWithoutRouteReportsAllow() {
        guard case .methodNotAllowed(let allow) = router().match(.options, path: "/api/conversations") else { return XCTFail("expected allow list") }
        XCTAssertEqual(allow, ["GET", "HEAD", "OPTIONS"])
    }

    func testAddingTheSameRouteReplacesIt() {
        var router = router()
        router.add(.get, "/api/conversations", "list2")
        XCTAssertEqual(found(router.match(.get, path: "/api/conversations"))?.0, "list2")
    }

    func testOtherMethods() {
        var router = Router<Int>()
        router.add(.other("PURGE"), "/cache/{key}", 7)
        guard case .found(7, let params, _) = router.match(HTTPMethod("PURGE"), path: "/cache/k") else { return XCTFail("no match") }
        XCTAssertEqual(params, ["key": "k"])
    }
}
