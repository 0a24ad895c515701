// Encoder and parser together: length forms, masking, incremental feeding, truncation.
import XCTest
@testable import WebSocket

final class FrameCodecTests: XCTestCase {
    func testRoundTripAcrossLengthForms() {
        let cases: [(length: Int, lengthBytes: Int)] = [(0, 0), (125, 0), (126, 2), (65535, 2), (65536, 8)]
        for (length, lengthBytes) in cases {
            for masked in [true, false] {
                let payload = pseudoRandomBytes(length, seed: UInt64(length))
                let bytes = encodedFrame(.binary, payload, masked: masked)
                let header = 2 + lengthBytes + (masked ? 4 : 0)
                XCTAssertEqual(WebSocketFrameEncoder.headerLength(payloadCount: length, masked: masked), header)
                XCTAssertEqual(bytes.count, header + length, "length \(length) masked \(masked)")
                XCTAssertEqual(bytes[1] & 0x80 != 0, masked)
                if masked && length > 0 {
                    XCTAssertNotEqual(Array(bytes[header...]), payload, "payload was not masked")
                }
                var parser = WebSocketFrameParser(requireMasked: masked, maxFramePayload: 1 << 20)
                let (consumed, result) = parser.parse(bytes)
                XCTAssertEqual(consumed, bytes.count)
                XCTAssertEqual(result, .frame(WebSocketFrame(fin: true, opcode: .binary, payload: payload)),
                               "length \(length) masked \(masked)")
            }
        }
    }

    func testLengthFieldEncodings() {
        XCTAssertEqual(Array(encodedFrame(.text, [UInt8](repeating: 0, count: 125), masked: false)[0..<2]), [0x81, 125])
        XCTAssertEqual(Array(encodedFrame(.text, [UInt8](repeating: 0, count: 126), masked: false)[0..<4]), [0x81, 126, 0, 126])
        XCTAssertEqual(Array(encodedFrame(.text, [UInt8](repeating: 0, count: 65535), masked: false)[0..<4]),
                       [0x81, 126, 0xFF, 0xFF])
        XCTAssertEqual(Array(encodedFrame(.binary, [UInt8](repeating: 0, count: 65536), fin: false, masked: false)[0..<10]),
                       [0x02, 127, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    func testRFCMaskedHelloExample() {
        // RFC 6455 §5.7: a single-frame masked text message "Hello".
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        var parser = serverParser()
        XCTAssertEqual(parser.parse(bytes).result, .frame(WebSocketFrame(opcode: .text, payload: Array("Hello".utf8))))
        XCTAssertEqual(encodedFrame(.text, Array("Hello".utf8)), bytes)
    }

    func testUnmaskingOddLengthsMatchesPerByteReference() {
        for length in [1, 3, 7, 8, 9, 15, 16, 17, 31, 33] {
            let payload = pseudoRandomBytes(length, seed: 7)
            let bytes = encodedFrame(.binary, payload)
            let keys = [testMask.0, testMask.1, testMask.2, testMask.3]
            let reference = payload.enumerated().map { $0.element ^ keys[$0.offset % 4] }
            XCTAssertEqual(Array(bytes[6...]), reference, "length \(length)")
            var parser = serverParser()
            XCTAssertEqual(parser.parse(bytes).result, .frame(WebSocketFrame(opcode: .binary, payload: payload)))
        }
    }

    func testByteByByteFeedingNeedsMoreUntilComplete() {
        for length in [0, 5, 200, 70_000] {
            let payload = pseudoRandomBytes(length, seed: 3)
            let bytes = encodedFrame(.binary, payload)
            var parser = serverParser()
            // Every proper prefix is incomplete; check each one for small frames, a sample for big ones.
            let prefixes = length < 1000 ? Array(0..<bytes.count) : [0, 1, 2, 9, 13, 14, 1000, bytes.count - 1]
            for end in prefixes {
                let (consumed, result) = parser.parse(Array(bytes[0..<end]))
                XCTAssertEqual(consumed, 0)
                XCTAssertEqual(result, .needMore, "prefix \(end) of \(bytes.count)")
            }
            XCTAssertEqual(parser.parse(bytes).consumed, bytes.count)
        }
    }

    func testParsesOnlyTheFirstOfSeveralFrames() {
        let first = encodedFrame(.text, Array("one".utf8))
        let second = encodedFrame(.ping, Array("two".utf8))
        var buffer = first + second + [0x81]  // plus the first byte of a third frame
        var parser = serverParser()
        var frames: [WebSocketFrame] = []
        while true {
            let (consumed, result) = parser.parse(buffer)
            guard case .frame(let frame) = result else {
                XCTAssertEqual(result, .needMore)
                break
            }
            frames.append(frame)
            buffer.removeFirst(consumed)
        }
        XCTAssertEqual(frames, [WebSocketFrame(opcode: .text, payload: Array("one".utf8)),
                                WebSocketFrame(opcode: .ping, payload: Array("two".utf8))])
        XCTAssertEqual(buffer, [0x81])
    }

    func testFramePayloadLimit() {
        var parser = serverParser(max: 100)
        XCTAssertEqual(parser.parse(encodedFrame(.binary, [UInt8](repeating: 1, count: 100))).consumed, 106)
        // Over the limit fails on the header alone, before the payload has arrived.
        let big = encodedFrame(.binary, [UInt8](repeating: 1, count: 101))
        XCTAssertEqual(parser.parse(Array(big[0..<2])).result, .fail(code: 1009, reason: "frame too big"))
        let huge = encodedFrame(.binary, [UInt8](repeating: 1, count: 70_000))
        XCTAssertEqual(parser.parse(Array(huge[0..<10])).result, .fail(code: 1009, reason: "frame too big"))
    }

    func testLargestLengthDoesNotOverflow() {
        // 2^63 - 1 with an unlimited frame size: must not crash on header + length.
        var parser = WebSocketFrameParser(maxFramePayload: Int.max)
        let bytes: [UInt8] = [0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]
        XCTAssertEqual(parser.parse(bytes).result, .fail(code: 1009, reason: "frame too big"))
    }

    func testCloseFrameWithReasonEncodesCodeAndText() {
        let payload = WebSocketFrameEncoder.closePayload(code: 1001, reason: "bye")
        XCTAssertEqual(payload, [0x03, 0xE9] + Array("bye".utf8))
    }

    func testClosePayloadTruncatesAtCodePointBoundary() {
        // 61 two-byte characters = 122 bytes, then "€" (3 bytes) would end at 125 + 2: cut before it.
        let reason = String(repeating: "é", count: 61) + "€€"
        let payload = WebSocketFrameEncoder.closePayload(code: 1000, reason: reason)
        XCTAssertLessThanOrEqual(payload.count, 125)
        XCTAssertEqual(payload.count, 2 + 122)
        XCTAssertNotNil(String(validating: payload[2...], as: UTF8.self))
        let ascii = WebSocketFrameEncoder.closePayload(code: 1000, reason: String(repeating: "a", count: 300))
        XCTAssertEqual(ascii.count, 125)
    }
}
