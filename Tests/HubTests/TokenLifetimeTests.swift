import XCTest
import Crypto
@testable import Hub

/// Expiry arithmetic for every `exp` a validly signed token can carry: none of it may trap.
final class TokenLifetimeTests: XCTestCase {
    private let nowMs: Int64 = 1_764_460_000_123
    private var nowSeconds: Int64 { nowMs / 1000 }
    private let secret = Array("s3cret-for-tests".utf8)

    func testTimerForAnOrdinaryExpiry() {
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: nowSeconds + 60, nowMilliseconds: nowMs),
                       .after(nanoseconds: 59_877 * 1_000_000))
    }

    func testPastOrPresentExpiryClosesNow() {
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: nowSeconds, nowMilliseconds: nowMs), .now)
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: 0, nowMilliseconds: nowMs), .now)
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: -1, nowMilliseconds: nowMs), .now)
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: Int64.min, nowMilliseconds: nowMs), .now)
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: Int64.min / 1000, nowMilliseconds: Int64.max), .now)
    }

    func testFarFutureExpiryArmsNoTimer() {
        // 99999999999999 is what `switchboard token --ttl 99999999999999` used to mint; its
        // nanoseconds overflow UInt64 and used to crash the server.
        for exp: Int64 in [99_999_999_999_999 + nowSeconds, Int64.max, Int64.max / 1000, Int64.max / 1000 + 1,
                           nowSeconds + TokenLifetime.maxSeconds + 1] {
            XCTAssertEqual(TokenLifetime.expiryTimer(exp: exp, nowMilliseconds: nowMs), .never, "exp \(exp)")
        }
        XCTAssertEqual(TokenLifetime.expiryTimer(exp: Int64.max / 1000, nowMilliseconds: Int64.min), .never)
    }

    func testTheLongestTimerStillFitsALoopDeadline() {
        guard case .after(let ns) = TokenLifetime.expiryTimer(exp: nowSeconds + TokenLifetime.maxSeconds, nowMilliseconds: nowMs) else {
            return XCTFail("a 10-year expiry still arms a timer")
        }
        XCTAssertLessThanOrEqual(ns, UInt64(TokenLifetime.maxSeconds) * 1_000_000_000)
        XCTAssertLessThan(ns, UInt64(Int64.max) / 2)
    }

    func testMintingExpiryIsBoundedToTenYears() {
        XCTAssertEqual(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: 3600), nowSeconds + 3600)
        XCTAssertEqual(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: 315_360_000), nowSeconds + 315_360_000)
        XCTAssertNil(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: 315_360_001))
        XCTAssertNil(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: 99_999_999_999_999))
        XCTAssertNil(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: Int64.max))
        XCTAssertNil(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: 0))
        XCTAssertNil(TokenLifetime.expiry(nowSeconds: nowSeconds, ttlSeconds: -5))
        XCTAssertNil(TokenLifetime.expiry(nowSeconds: Int64.max - 10, ttlSeconds: 3600))
    }

    func testExtremeExpClaimsVerifyWithoutTrapping() throws {
        func token(exp: String) -> String {
            let b64 = { (s: String) in Base64.encode(Array(s.utf8), urlSafe: true, padding: false) }
            let input = b64(#"{"alg":"HS256","typ":"JWT"}"#) + "." + b64(#"{"sub":"x","role":"ops","topics":["*"],"exp":"# + exp + "}")
            return input + "." + Base64.encode(Digest.hmacSHA256(key: secret, data: Array(input.utf8)), urlSafe: true, padding: false)
        }
        XCTAssertEqual(try AccessToken.verify(token(exp: String(Int64.max)), secret: secret, now: nowSeconds).get().exp, Int64.max)
        XCTAssertEqual(try AccessToken.verify(token(exp: "99999999999999"), secret: secret, now: nowSeconds).get().exp, 99_999_999_999_999)
        for refused in [String(Int64.min), "-1", "0", "99999999999999999999999"] {
            guard case .failure = AccessToken.verify(token(exp: refused), secret: secret, now: nowSeconds) else {
                return XCTFail("exp \(refused) must be refused")
            }
        }
        // A refused exp beyond Int64 is a claims error, not an expiry.
        guard case .failure(let e) = AccessToken.verify(token(exp: "99999999999999999999999"), secret: secret, now: nowSeconds) else {
            return XCTFail("exp beyond Int64 must be refused")
        }
        XCTAssertEqual(e.code, "bad_claims")
    }
}
