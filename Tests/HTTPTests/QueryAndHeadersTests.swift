// Query-string decoding and the header list's case-insensitive lookups.
import XCTest
@testable import HTTP

final class QueryAndHeadersTests: XCTestCase {
    func testQueryValueDecodesPercentAndPlus() {
        let request = HTTPRequest(method: .get, target: "/s?q=hello+world%21&name=%E2%9C%93&empty=&flag&q=second")
        XCTAssertEqual(request.queryValue("q"), "hello world!")
        XCTAssertEqual(request.queryValue("name"), "✓")
        XCTAssertEqual(request.queryValue("empty"), "")
        XCTAssertEqual(request.queryValue("flag"), "")
        XCTAssertNil(request.queryValue("missing"))
    }

    func testQueryItemsKeepOrderAndSkipEmptyPieces() {
        let request = HTTPRequest(method: .get, target: "/s?a=1&&b=2=3&a%20b=%zz&c=%4")
        let items = request.queryItems.map { "\($0.name)|\($0.value)" }
        XCTAssertEqual(items, ["a|1", "b|2=3", "a b|%zz", "c|%4"])
    }

    func testNoQuery() {
        let request = HTTPRequest(method: .get, target: "/plain")
        XCTAssertEqual(request.path, "/plain")
        XCTAssertEqual(request.query, "")
        XCTAssertTrue(request.queryItems.isEmpty)
        let bare = HTTPRequest(method: .get, target: "/p?")
        XCTAssertEqual(bare.path, "/p")
        XCTAssertEqual(bare.query, "")
    }

    func testInvalidUTF8DecodesToReplacementCharacter() {
        XCTAssertEqual(HTTPRequest(method: .get, target: "/?x=%FF").queryValue("x"), "\u{FFFD}")
    }

    func testHeaderLookupsIgnoreCase() {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("set-cookie", "a=1"), ("Set-Cookie", "b=2")])
        XCTAssertEqual(headers["content-type"], "text/plain")
        XCTAssertEqual(headers.values("SET-COOKIE"), ["a=1", "b=2"])
        XCTAssertTrue(headers.contains("CONTENT-type"))
        XCTAssertFalse(headers.contains("Content"))
        headers.replaceOrAdd("Set-Cookie", "c=3")
        XCTAssertEqual(headers.values("set-cookie"), ["c=3"])
        XCTAssertEqual(headers.count, 2)
        headers.replaceOrAdd("X-New", "1")
        XCTAssertEqual(headers["x-new"], "1")
        headers.add("X-New", "2")
        XCTAssertEqual(headers.values("x-new"), ["1", "2"])
        headers.remove("x-new")
        XCTAssertFalse(headers.contains("X-New"))
    }

    func testContainsToken() {
        let headers = HTTPHeaders([("Connection", "keep-alive, Upgrade"), ("Upgrade", "websocket")])
        XCTAssertTrue(headers.containsToken("connection", "upgrade"))
        XCTAssertTrue(headers.containsToken("Connection", "KEEP-ALIVE"))
        XCTAssertTrue(headers.containsToken("Upgrade", "WebSocket"))
        XCTAssertFalse(headers.containsToken("Connection", "close"))
        XCTAssertFalse(headers.containsToken("Connection", "keep"))
        XCTAssertFalse(HTTPHeaders([("Connection", "keep-alive-ish")]).containsToken("Connection", "keep-alive"))
        XCTAssertFalse(headers.containsToken("Missing", "x"))
    }
}
