import Foundation
import XCTest
@testable import Ops

/// The console's files are embedded like the JS client: these fail while the generated file and
/// clients/console disagree, and check what every console answer must carry.
final class ConsoleAssetsTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryConsoleFileIsEmbeddedAsItIs() throws {
        let folder = root.appendingPathComponent("clients/console")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { [".html", ".css", ".js", ".svg"].contains(where: $0.hasSuffix) }.sorted()
        XCTAssertEqual(ClientAssets.console.map(\.name), names)
        for file in ClientAssets.console {
            XCTAssertEqual(file.text, try String(contentsOf: folder.appendingPathComponent(file.name), encoding: .utf8), file.name)
        }
    }

    func testPageAndModulesAreRoutedWithTheirTypes() throws {
        let assets = StaticAssetRoutes.console.assets
        XCTAssertEqual(assets["/console"]?.contentType, "text/html; charset=utf-8")
        XCTAssertEqual(assets["/console/main.js"]?.contentType, "application/javascript; charset=utf-8")
        XCTAssertEqual(assets["/console/console.css"]?.contentType, "text/css; charset=utf-8")
        XCTAssertNil(assets["/console/index.html"], "the page has one address")
        XCTAssertEqual(assets.count, ClientAssets.console.count)
    }

    func testPolicyForbidsInlineScriptsAndOtherOrigins() {
        let policy = StaticAssetRoutes.consolePolicy
        let directives = Dictionary(uniqueKeysWithValues: policy.split(separator: ";").map { d -> (String, String) in
            let parts = d.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        })
        XCTAssertEqual(directives["default-src"], "'none'")
        XCTAssertEqual(directives["script-src"], "'self'")
        XCTAssertEqual(directives["connect-src"], "'self'")
        XCTAssertFalse(policy.contains("unsafe-inline"))
        XCTAssertFalse(policy.contains("*"))
        let headers = StaticAssetRoutes.console.headers.map(\.name)
        XCTAssertEqual(headers.first, "Content-Security-Policy")
    }

    func testPageLoadsNoInlineScriptOrStyle() throws {
        let html = try XCTUnwrap(ClientAssets.console.first { $0.name == "index.html" }?.text)
        for tag in html.components(separatedBy: "<script").dropFirst() {
            XCTAssertTrue(tag.hasPrefix(" type=\"module\" src=\"/console/"), "only external module scripts: \(tag.prefix(60))")
        }
        XCTAssertFalse(html.contains("<style"))
        XCTAssertFalse(html.contains("style=\""))
        XCTAssertNil(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression), "no inline event handlers")
    }
}
