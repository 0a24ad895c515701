// permessage-deflate negotiation (RFC 7692 §7.1): the offers browsers and common clients send,
// several offers, parameters with and without values, and offers that must be declined.
import XCTest
@testable import WebSocket

final class PerMessageDeflateNegotiationTests: XCTestCase {
    private func negotiate(_ header: String?) -> PerMessageDeflateParameters? {
        PerMessageDeflate.negotiate(header)
    }

    func testNoOfferNoExtension() {
        XCTAssertNil(negotiate(nil))
        XCTAssertNil(negotiate(""))
        XCTAssertNil(negotiate("x-webkit-deflate-frame"))
    }

    func testBareOfferIsAnsweredWithServerNoContextTakeover() {
        let p = negotiate("permessage-deflate")
        XCTAssertEqual(p, PerMessageDeflateParameters())
        XCTAssertEqual(p?.responseHeaderValue, "permessage-deflate; server_no_context_takeover")
    }

    func testChromiumOffer() {
        // What Chromium and Firefox send.
        let p = negotiate("permessage-deflate; client_max_window_bits")
        XCTAssertEqual(p?.serverMaxWindowBits, 15)
        XCTAssertEqual(p?.clientNoContextTakeover, false)
        XCTAssertNil(p?.clientMaxWindowBits)
        XCTAssertEqual(p?.responseHeaderValue, "permessage-deflate; server_no_context_takeover")
    }

    func testClientNoContextTakeoverIsHonoured() {
        let p = negotiate("permessage-deflate; client_no_context_takeover; server_no_context_takeover")
        XCTAssertEqual(p?.clientNoContextTakeover, true)
        XCTAssertEqual(p?.responseHeaderValue, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    }

    func testServerMaxWindowBitsIsHonouredAndAnswered() {
        for bits in 8...15 {
            let p = negotiate("permessage-deflate; server_max_window_bits=\(bits)")
            XCTAssertEqual(p?.serverMaxWindowBits, bits)
        }
        XCTAssertEqual(negotiate("permessage-deflate; server_max_window_bits=10")?.responseHeaderValue,
                       "permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
        XCTAssertEqual(negotiate(#"permessage-deflate; server_max_window_bits="9""#)?.serverMaxWindowBits, 9)
    }

    func testClientMaxWindowBitsWithAndWithoutValue() {
        XCTAssertEqual(negotiate("permessage-deflate; client_max_window_bits=12")?.clientMaxWindowBits, 12)
        XCTAssertNotNil(negotiate("permessage-deflate; client_max_window_bits"))
        // Python websockets' default offer.
        XCTAssertNotNil(negotiate("permessage-deflate; client_max_window_bits=15; server_max_window_bits=15"))
    }

    func testNamesAreCaseInsensitiveAndWhitespaceTolerated() {
        XCTAssertEqual(negotiate("  Permessage-Deflate ;  Client_No_Context_Takeover  ")?.clientNoContextTakeover, true)
    }

    func testInvalidOffersAreDeclinedNotFailed() {
        for bad in [
            "permessage-deflate; server_max_window_bits",        // value required
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; server_max_window_bits=abc",
            "permessage-deflate; client_max_window_bits=0",
            "permessage-deflate; client_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover=true",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; unknown_parameter",
            #"permessage-deflate; server_max_window_bits="10"#,
        ] {
            XCTAssertNil(negotiate(bad), bad)
        }
    }

    func testFirstAcceptableOfferOfSeveralWins() {
        // Autobahn 13.7: a list of offers, most wanted first; a bad first one is skipped.
        let p = negotiate("permessage-deflate; server_max_window_bits=7, permessage-deflate; client_no_context_takeover; server_max_window_bits=9, permessage-deflate")
        XCTAssertEqual(p, PerMessageDeflateParameters(serverMaxWindowBits: 9, clientNoContextTakeover: true))
        // Other extensions around it are ignored.
        XCTAssertEqual(negotiate("foo; bar=1, permessage-deflate; client_max_window_bits=10, baz")?.clientMaxWindowBits, 10)
        // Repeated headers arrive joined with ", ".
        XCTAssertNotNil(negotiate("x-unknown, permessage-deflate"))
    }

    func testQuotedCommaDoesNotSplitAnOffer() {
        XCTAssertNil(negotiate(#"permessage-deflate; x="a,permessage-deflate""#))
    }
}
