import XCTest
@testable import Crypto

final class CryptoTests: XCTestCase {
    func testSHA1KnownVector() {
        XCTAssertEqual(Hex.encode(Digest.sha1(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    func testWebSocketAcceptExample() {
        // RFC 6455 §1.3 example.
        let key = "dGhlIHNhbXBsZSBub25jZQ==" + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        XCTAssertEqual(Base64.encode(Digest.sha1(Array(key.utf8))), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testHMACSHA256RFC4231Case2() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(Digest.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(Digest.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Digest.constantTimeEquals([1, 2, 3], [1, 2]))
    }

    func testBase64RoundTripAndURLSafe() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + 11) & 0xff) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
            XCTAssertEqual(Base64.decode(Base64.encode(bytes, urlSafe: true, padding: false)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(Base64.encode(Array("fo".utf8)), "Zm8=")
        XCTAssertNil(Base64.decode("Zm9v!"))
        XCTAssertNil(Base64.decode("Z"))
        XCTAssertNil(Base64.decode("Zg==Zg"))
    }

    func testHex() {
        XCTAssertEqual(Hex.decode("DEADbeef"), [0xde, 0xad, 0xbe, 0xef])
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
        XCTAssertEqual(SecureRandom.hexString(bytes: 8).count, 16)
    }
}
