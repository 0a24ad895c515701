import XCTest
@testable import HTTP

final class StaticAssetTests: XCTestCase {
    private let asset = StaticAsset(body: Array("export const x = 1;\n".utf8), contentType: "application/javascript; charset=utf-8")

    func testFullResponseCarriesTypeETagAndCachePolicy() {
        let r = asset.response(ifNoneMatch: nil)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, asset.body)
        XCTAssertEqual(r.headers["Content-Type"], "application/javascript; charset=utf-8")
        XCTAssertEqual(r.headers["ETag"], asset.etag)
        XCTAssertEqual(r.headers["Cache-Control"], "no-cache")
        XCTAssertTrue(asset.etag.hasPrefix("\"") && asset.etag.hasSuffix("\""))
    }

    func testMatchingIfNoneMatchGets304WithoutBody() {
        for header in [asset.etag, "W/" + asset.etag, "\"other\", " + asset.etag, " * "] {
            let r = asset.response(ifNoneMatch: header)
            XCTAssertEqual(r.status, 304, header)
            XCTAssertEqual(r.body, [], header)
            XCTAssertEqual(r.headers["ETag"], asset.etag, header)
        }
    }

    func testOtherETagsGetTheBody() {
        for header in ["\"other\"", "", String(asset.etag.dropFirst().dropLast())] {
            XCTAssertEqual(asset.response(ifNoneMatch: header).status, 200, header)
        }
    }

    func testETagFollowsTheContent() {
        let same = StaticAsset(body: asset.body, contentType: "text/plain")
        let changed = StaticAsset(body: Array("export const x = 2;\n".utf8), contentType: asset.contentType)
        XCTAssertEqual(same.etag, asset.etag)
        XCTAssertNotEqual(changed.etag, asset.etag)
        XCTAssertEqual(StaticAsset.fingerprint([]), "cbf29ce484222325-0")
        XCTAssertEqual(StaticAsset.fingerprint(Array("a".utf8)), "af63dc4c8601ec8c-1")  // FNV-1a 64 of "a"
    }
}
