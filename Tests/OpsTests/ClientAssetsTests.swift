import Foundation
import XCTest
@testable import Ops

/// The binary embeds clients/js through a generated file; this fails while they disagree (run
/// `python3 scripts/embed-client-assets.py`).
final class ClientAssetsTests: XCTestCase {
    private func repoFile(_ relative: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    func testEmbeddedClientMatchesClientsJS() throws {
        XCTAssertEqual(ClientAssets.switchboardJS, try repoFile("clients/js/switchboard.js"))
        XCTAssertEqual(ClientAssets.demoHTML, try repoFile("clients/js/demo.html"))
    }

    func testRoutesServeThemWithTheirTypes() throws {
        let routes = StaticAssetRoutes.client.assets
        XCTAssertEqual(Set(routes.keys), ["/client/switchboard.js", "/demo"])
        let js = try XCTUnwrap(routes["/client/switchboard.js"])
        XCTAssertEqual(js.contentType, "application/javascript; charset=utf-8")
        XCTAssertEqual(js.body, Array(try repoFile("clients/js/switchboard.js").utf8))
        XCTAssertEqual(routes["/demo"]?.contentType, "text/html; charset=utf-8")
    }
}
