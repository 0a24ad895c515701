// X-Hub-Signature-256 verification over raw bytes, and the GET subscribe handshake.
import Crypto
import Foundation
import XCTest
@testable import WhatsApp

final class WebhookSignatureTests: XCTestCase {
    let secret = Array("app-secret-123".utf8)

    private func header(_ body: [UInt8], secret: [UInt8]) -> String {
        "sha256=" + Hex.encode(Digest.hmacSHA256(key: secret, data: body))
    }

    func testSignatureOverWireBytesIsValid() throws {
        let body = try Fixture.bytes("wire_escaped")
        XCTAssertEqual(WebhookSignature.verify(body: body, header: header(body, secret: secret), appSecret: secret), .valid)
    }

    func testKnownVector() {
        // HMAC-SHA256(key "key", "The quick brown fox jumps over the lazy dog"), a published test vector.
        let body = Array("The quick brown fox jumps over the lazy dog".utf8)
        let h = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        XCTAssertEqual(WebhookSignature.verify(body: body, header: h, appSecret: Array("key".utf8)), .valid)
    }

    func testReserialisedJSONFailsTheWireSignature() throws {
        let body = try Fixture.bytes("wire_escaped")
        let signed = header(body, secret: secret)
        let object = try JSONSerialization.jsonObject(with: Data(body))
        let reencoded = Array(try JSONSerialization.data(withJSONObject: object))
        XCTAssertNotEqual(reencoded, body)
        XCTAssertEqual(WebhookSignature.verify(body: reencoded, header: signed, appSecret: secret), .mismatch)
    }

    func testUpperCaseHexIsAccepted() throws {
        let body = try Fixture.bytes("wire_escaped")
        let upper = "sha256=" + Hex.encode(Digest.hmacSHA256(key: secret, data: body)).uppercased()
        XCTAssertEqual(WebhookSignature.verify(body: body, header: upper, appSecret: secret), .valid)
    }

    func testSurroundingWhitespaceIsTolerated() {
        let body = Array("{}".utf8)
        XCTAssertEqual(WebhookSignature.verify(body: body, header: " \(header(body, secret: secret))\t", appSecret: secret), .valid)
    }

    func testMissingHeader() {
        XCTAssertEqual(WebhookSignature.verify(body: [1], header: nil, appSecret: secret), .missing)
        XCTAssertEqual(WebhookSignature.verify(body: [1], header: "", appSecret: secret), .missing)
    }

    func testMalformedHeaders() {
        let body = Array("{}".utf8)
        let good = Hex.encode(Digest.hmacSHA256(key: secret, data: body))
        let p = "sha256="
        let short = String(good.dropLast(2))
        var bad: [String] = []
        bad.append(good)                    // no prefix
        bad.append("sha1=" + good)          // wrong algorithm
        bad.append(p + String(good.dropLast()))  // odd length
        bad.append(p + short)               // 31 bytes
        bad.append(p + good + "00")         // 33 bytes
        bad.append(p + short + "zz")        // not hex
        bad.append(p)
        bad.append("sha256 =" + good)
        bad.append(p + short + "é")         // right byte length, not hex
        for header in bad {
            XCTAssertEqual(WebhookSignature.verify(body: body, header: header, appSecret: secret), .malformed, header)
        }
    }

    func testWrongSecretOrAlteredBodyIsAMismatch() {
        let body = Array(#"{"a":1}"#.utf8)
        let h = header(body, secret: secret)
        XCTAssertEqual(WebhookSignature.verify(body: body, header: h, appSecret: Array("other".utf8)), .mismatch)
        XCTAssertEqual(WebhookSignature.verify(body: Array(#"{"a":2}"#.utf8), header: h, appSecret: secret), .mismatch)
    }

    func testEmptySecretFailsClosed() {
        let body = Array("{}".utf8)
        XCTAssertEqual(WebhookSignature.verify(body: body, header: header(body, secret: []), appSecret: []), .mismatch)
    }

    func testHandshake() {
        XCTAssertEqual(VerifyHandshake.check(mode: "subscribe", token: "tok", challenge: "1158201444", expected: "tok"), "1158201444")
        XCTAssertNil(VerifyHandshake.check(mode: "subscribe", token: "tok2", challenge: "c", expected: "tok"))
        XCTAssertNil(VerifyHandshake.check(mode: "subscribe", token: "to", challenge: "c", expected: "tok"))
        XCTAssertNil(VerifyHandshake.check(mode: "unsubscribe", token: "tok", challenge: "c", expected: "tok"))
        XCTAssertNil(VerifyHandshake.check(mode: nil, token: "tok", challenge: "c", expected: "tok"))
        XCTAssertNil(VerifyHandshake.check(mode: "subscribe", token: nil, challenge: "c", expected: "tok"))
        XCTAssertNil(VerifyHandshake.check(mode: "subscribe", token: "tok", challenge: nil, expected: "tok"))
        XCTAssertNil(VerifyHandshake.check(mode: "subscribe", token: "", challenge: "c", expected: ""))
    }
}
