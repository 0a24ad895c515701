// The incremental UTF-8 DFA, checked against the standard library's validation.
import XCTest
@testable import WebSocket

final class UTF8ValidatorTests: XCTestCase {
    private func isValid(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isComplete
    }

    private func stdlibValid(_ bytes: [UInt8]) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    func testKnownSequences() {
        XCTAssertTrue(isValid([]))
        XCTAssertTrue(isValid(Array("Hello-µ@ßöäüàá-UTF-8!!".utf8)))
        XCTAssertTrue(isValid([0xF4, 0x8F, 0xBF, 0xBF]))   // U+10FFFF
        XCTAssertFalse(isValid([0xF4, 0x90, 0x80, 0x80]))  // above U+10FFFF
        XCTAssertFalse(isValid([0xED, 0xA0, 0x80]))        // surrogate
        XCTAssertFalse(isValid([0xC0, 0xAF]))              // overlong
        XCTAssertFalse(isValid([0xE0, 0x80, 0xAF]))        // overlong
        XCTAssertFalse(isValid([0x80]))                     // lone continuation
        XCTAssertFalse(isValid([0xFE]))
    }

    func testAllOneAndTwoByteSequencesMatchStdlib() {
        for a in 0...255 {
            XCTAssertEqual(isValid([UInt8(a)]), stdlibValid([UInt8(a)]), "\(a)")
            for b in 0...255 {
                let bytes = [UInt8(a), UInt8(b)]
                if isValid(bytes) != stdlibValid(bytes) { return XCTFail("mismatch on \(bytes)") }
            }
        }
    }

    func testThreeAndFourByteSequencesMatchStdlib() {
        let leads: [UInt8] = [0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5]
        let tails: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xFF]
        for a in leads {
            for b in tails {
                for c in tails {
                    XCTAssertEqual(isValid([a, b, c]), stdlibValid([a, b, c]), "\([a, b, c])")
                    for d in tails where isValid([a, b, c, d]) != stdlibValid([a, b, c, d]) {
                        return XCTFail("mismatch on \([a, b, c, d])")
                    }
                }
            }
        }
    }

    func testRandomBuffersAnySplitMatchStdlib() {
        for seed in 0..<300 {
            var bytes = pseudoRandomBytes(1 + seed % 40, seed: UInt64(seed))
            // Bias half the samples towards valid text so both outcomes are exercised.
            if seed % 2 == 0 { bytes = Array(String(decoding: bytes, as: UTF8.self).utf8) }
            let expected = stdlibValid(bytes)
            let split = bytes.count / 2
            var validator = UTF8Validator()
            let ok = validator.feed(Array(bytes[..<split])) && validator.feed(Array(bytes[split...])) && validator.isComplete
            XCTAssertEqual(ok, expected, "\(bytes)")
        }
    }

    func testASCIIFastPathStillFindsLaterError() {
        var bytes = [UInt8](repeating: 0x61, count: 37)
        bytes[29] = 0xFF
        XCTAssertFalse(isValid(bytes))
        bytes[29] = 0x62
        XCTAssertTrue(isValid(bytes))
    }

    func testStaysInvalidUntilReset() {
        var validator = UTF8Validator()
        XCTAssertFalse(validator.feed([0xFF]))
        XCTAssertFalse(validator.feed([0x61]))
        XCTAssertFalse(validator.isComplete)
        validator.reset()
        XCTAssertTrue(validator.feed([0x61]))
        XCTAssertTrue(validator.isComplete)
    }

    func testIncompleteAtEnd() {
        var validator = UTF8Validator()
        XCTAssertTrue(validator.feed([0xF0, 0x9D]))
        XCTAssertFalse(validator.isComplete)
        XCTAssertTrue(validator.feed([0x84, 0x9E]))
        XCTAssertTrue(validator.isComplete)
    }
}
