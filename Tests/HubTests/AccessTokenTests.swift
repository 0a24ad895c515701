import XCTest
import Crypto
@testable import Hub

final class AccessTokenTests: XCTestCase {
    private let secret = Array("s3cret-for-tests".utf8)
    private let now: Int64 = 1_764_460_000

    private func claims(_ role: Role = .agent, _ topics: [String] = ["inbox", "conversation.*"], exp: Int64? = nil) -> TokenClaims {
        TokenClaims(sub: "agent-7", role: role, topics: topics.compactMap { TopicPattern($0, allowingAll: true) }, exp: exp ?? now + 3600)
    }

    private func code(_ result: Result<TokenClaims, TokenError>) -> String? {
        if case let .failure(e) = result { return e.code }
        return nil
    }

    private func b64(_ s: String) -> String { Base64.encode(Array(s.utf8), urlSafe: true, padding: false) }

    /// A token with any header and payload, correctly signed, to test checks past the signature.
    private func forge(header: String, payload: String, key: [UInt8]? = nil) -> String {
        let input = b64(header) + "." + b64(payload)
        return input + "." + Base64.encode(Digest.hmacSHA256(key: key ?? secret, data: Array(input.utf8)), urlSafe: true, padding: false)
    }

    private let hs256 = #"{"alg":"HS256","typ":"JWT"}"#

    func testSignVerifyRoundTrip() {
        let c = claims()
        let token = AccessToken.sign(claims: c, secret: secret)
        XCTAssertEqual(token.split(separator: ".").count, 3)
        XCTAssertFalse(token.contains("="))
        XCTAssertEqual(try AccessToken.verify(token, secret: secret, now: now).get(), c)
    }

    func testKnownVectorFromAnotherImplementation() {
        // Header and payload signed with HMAC-SHA256 directly, as any JWT library would.
        let token = forge(header: hs256, payload: #"{"sub":"x","role":"ops","topics":["*"],"exp":1764463600,"iat":1}"#)
        let verified = try? AccessToken.verify(token, secret: secret, now: now).get()
        XCTAssertEqual(verified?.role, .ops)
        XCTAssertEqual(verified?.topics.map(\.description), ["*"])
    }

    func testTamperedPayloadOrSignature() {
        let token = AccessToken.sign(claims: claims(), secret: secret)
        let parts = token.split(separator: ".").map(String.init)
        let opsPayload = b64(#"{"sub":"agent-7","role":"ops","topics":["*"],"exp":1864460000}"#)
        XCTAssertEqual(code(AccessToken.verify(parts[0] + "." + opsPayload + "." + parts[2], secret: secret, now: now)), "bad_signature")
        var sig = Array(parts[2].utf8)
        sig[0] = sig[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        XCTAssertEqual(code(AccessToken.verify(parts[0] + "." + parts[1] + "." + String(decoding: sig, as: UTF8.self), secret: secret, now: now)), "bad_signature")
        XCTAssertEqual(code(AccessToken.verify(parts[0] + "." + parts[1] + "." + "AAAA", secret: secret, now: now)), "bad_signature")
    }

    func testWrongSecret() {
        let token = AccessToken.sign(claims: claims(), secret: secret)
        XCTAssertEqual(code(AccessToken.verify(token, secret: Array("other".utf8), now: now)), "bad_signature")
    }

    func testAlgNoneAndOthersAreRejected() {
        let payload = b64(#"{"sub":"a","role":"ops","topics":["*"],"exp":1864460000}"#)
        XCTAssertEqual(code(AccessToken.verify(b64(#"{"alg":"none","typ":"JWT"}"#) + "." + payload + ".", secret: secret, now: now)), "malformed")
        XCTAssertEqual(code(AccessToken.verify(b64(#"{"alg":"none","typ":"JWT"}"#) + "." + payload + ".AAAA", secret: secret, now: now)), "unsupported_alg")
        XCTAssertEqual(code(AccessToken.verify(forge(header: #"{"alg":"HS512","typ":"JWT"}"#, payload: "{}"), secret: secret, now: now)), "unsupported_alg")
        XCTAssertEqual(code(AccessToken.verify(forge(header: #"{"typ":"JWT"}"#, payload: "{}"), secret: secret, now: now)), "unsupported_alg")
        XCTAssertEqual(code(AccessToken.verify(forge(header: #"{"alg":"HS256","typ":"JWE"}"#, payload: "{}"), secret: secret, now: now)), "malformed")
    }

    func testExpiry() {
        let token = AccessToken.sign(claims: claims(exp: now), secret: secret)
        XCTAssertEqual(code(AccessToken.verify(token, secret: secret, now: now)), "expired")
        XCTAssertNil(code(AccessToken.verify(token, secret: secret, now: now - 1)))
    }

    func testMalformedShapesAndBase64() {
        let valid = AccessToken.sign(claims: claims(), secret: secret)
        let parts = valid.split(separator: ".").map(String.init)
        let table = ["", "abc", "a.b", "a.b.c.d", "..", parts[0] + ".." + parts[2], "!!!." + parts[1] + "." + parts[2],
                     parts[0] + "." + parts[1] + ".***", parts[0] + "=." + parts[1] + "." + parts[2],
                     b64("not json") + "." + parts[1] + "." + parts[2], String(repeating: "a", count: 9000)]
        for token in table {
            XCTAssertEqual(code(AccessToken.verify(token, secret: secret, now: now)), "malformed", token)
        }
        // A correctly signed payload that is not JSON.
        XCTAssertEqual(code(AccessToken.verify(forge(header: hs256, payload: "{nope"), secret: secret, now: now)), "malformed")
    }

    func testMissingOrBadClaims() {
        let payloads = [
            #"{"role":"agent","topics":["inbox"],"exp":1864460000}"#,
            #"{"sub":"","role":"agent","topics":["inbox"],"exp":1864460000}"#,
            #"{"sub":"a","topics":["inbox"],"exp":1864460000}"#,
            #"{"sub":"a","role":"admin","topics":["inbox"],"exp":1864460000}"#,
            #"{"sub":"a","role":"agent","exp":1864460000}"#,
            #"{"sub":"a","role":"agent","topics":"inbox","exp":1864460000}"#,
            #"{"sub":"a","role":"agent","topics":["bad topic"],"exp":1864460000}"#,
            #"{"sub":"a","role":"agent","topics":["*"],"exp":1864460000}"#,
            #"{"sub":"a","role":"agent","topics":["inbox"]}"#,
            #"{"sub":"a","role":"agent","topics":["inbox"],"exp":"1864460000"}"#,
            #"{"sub":"a","role":"agent","topics":["inbox"],"exp":1.8e9}"#,
            "[]",
        ]
        for payload in payloads {
            XCTAssertEqual(code(AccessToken.verify(forge(header: hs256, payload: payload), secret: secret, now: now)), "bad_claims", payload)
        }
    }

    func testReadRules() {
        let agent = claims(.agent, ["inbox", "conversation.*", "alerts", "system.*"])
        XCTAssertTrue(agent.mayRead(topic: "inbox"))
        XCTAssertTrue(agent.mayRead(topic: "conversation.155512"))
        XCTAssertFalse(agent.mayRead(topic: "conversation"))
        XCTAssertFalse(agent.mayRead(topic: "other"))
        XCTAssertFalse(agent.mayRead(topic: "alerts"), "alerts need ops even when the pattern allows it")
        XCTAssertFalse(agent.mayRead(topic: "system.health"))

        let ops = claims(.ops, ["*"])
        XCTAssertTrue(ops.mayRead(topic: "alerts"))
        XCTAssertTrue(ops.mayRead(topic: "system.health"))
        XCTAssertTrue(ops.mayRead(topic: "conversation.1"))
        XCTAssertFalse(claims(.ops, ["inbox"]).mayRead(topic: "alerts"), "ops still needs a matching pattern")
        XCTAssertFalse(claims(.service, ["*"]).mayRead(topic: "alerts"))

        XCTAssertFalse(agent.mayPublish)
        XCTAssertFalse(ops.mayPublish)
        XCTAssertTrue(claims(.service, ["*"]).mayPublish)
    }

    func testSubscribeRules() throws {
        let agent = claims(.agent, ["inbox", "conversation.*"])
        XCTAssertTrue(agent.maySubscribe(try XCTUnwrap(TopicPattern("conversation.*"))))
        XCTAssertTrue(agent.maySubscribe(try XCTUnwrap(TopicPattern("conversation.1"))))
        XCTAssertFalse(agent.maySubscribe(try XCTUnwrap(TopicPattern("inbox.*"))))
        let ops = claims(.ops, ["*"])
        let service = claims(.service, ["*"])
        for p in ["alerts", "system.*", "system.health"] {
            let pattern = try XCTUnwrap(TopicPattern(p))
            XCTAssertTrue(ops.maySubscribe(pattern), p)
            XCTAssertFalse(service.maySubscribe(pattern), p)
        }
        XCTAssertTrue(service.maySubscribe(try XCTUnwrap(TopicPattern("systems.x"))))
    }
}
