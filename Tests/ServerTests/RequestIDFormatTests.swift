import XCTest
@testable import Server

/// The hand-written formatter must match what `prefix + "-" + String(n, radix: 16)` gave.
final class RequestIDFormatTests: XCTestCase {
    private let prefix = Array("3f9a0c1b22de".utf8)

    func testCounterInLowercaseHexWithoutLeadingZeros() {
        XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: 0), "3f9a0c1b22de-0")
        XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: 1), "3f9a0c1b22de-1")
        XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: 0xF), "3f9a0c1b22de-f")
        XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: 0x10), "3f9a0c1b22de-10")
        XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: 0xABC123), "3f9a0c1b22de-abc123")
        XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: UInt64.max), "3f9a0c1b22de-ffffffffffffffff")
    }

    func testMatchesRadixConversionAcrossDigitCounts() {
        var n: UInt64 = 1
        while n != 0 {
            for value in [n - 1, n, n + 1] {
                XCTAssertEqual(RequestIDFormat.make(prefix: prefix, counter: value), "3f9a0c1b22de-" + String(value, radix: 16))
            }
            n = n &<< 4
        }
    }

    func testGeneratedIDsAreSafeAndDistinct() {
        let a = Server.generateRequestID(), b = Server.generateRequestID()
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(Server.isSafeID(a))
        XCTAssertEqual(a.split(separator: "-").first?.count, 12)
    }
}
