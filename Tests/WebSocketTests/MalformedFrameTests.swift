// Frames the parser must refuse, and with which close code (Autobahn 2.*, 3.*, 4.*, 5.1-5.2, 9.*).
import XCTest
@testable import WebSocket

final class MalformedFrameTests: XCTestCase {
    private func parse(_ bytes: [UInt8], requireMasked: Bool = true) -> WebSocketParseResult {
        var parser = WebSocketFrameParser(requireMasked: requireMasked, maxFramePayload: 1 << 20)
        let (consumed, result) = parser.parse(bytes)
        if case .frame = result {} else { XCTAssertEqual(consumed, 0) }
        return result
    }

    private func failCode(_ result: WebSocketParseResult) -> UInt16? {
        if case .fail(let code, _) = result { return code }
        return nil
    }

    func testReservedBitsFail1002() {
        for rsv: UInt8 in [0x40, 0x20, 0x10, 0x70] {
            var bytes = encodedFrame(.text, Array("hi".utf8))
            bytes[0] |= rsv
            XCTAssertEqual(failCode(parse(bytes)), 1002, "rsv \(rsv)")
            // Known from the first two bytes alone.
            XCTAssertEqual(failCode(parse(Array(bytes[0..<2]))), 1002)
        }
    }

    func testUnknownOpcodesFail1002() {
        for opcode: UInt8 in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            var bytes = encodedFrame(.binary, [1, 2, 3])
            bytes[0] = 0x80 | opcode
            XCTAssertEqual(failCode(parse(bytes)), 1002, "opcode \(opcode)")
        }
    }

    func testKnownOpcodesParse() {
        for opcode in [WebSocketOpcode.continuation, .text, .binary, .close, .ping, .pong] {
            guard case .frame(let frame) = parse(encodedFrame(opcode, [])) else { return XCTFail("\(opcode)") }
            XCTAssertEqual(frame.opcode, opcode)
        }
    }

    func testOversizedControlFramesFail1002() {
        for opcode in [WebSocketOpcode.close, .ping, .pong] {
            XCTAssertEqual(failCode(parse(encodedFrame(opcode, [UInt8](repeating: 0x61, count: 126)))), 1002)
            guard case .frame = parse(encodedFrame(opcode, [UInt8](repeating: 0x61, count: 125))) else {
                return XCTFail("125-byte \(opcode) refused")
            }
        }
        // A control frame claiming a 64-bit length, with only the header present.
        XCTAssertEqual(failCode(parse([0x89, 0xFF])), 1002)
    }

    func testFragmentedControlFramesFail1002() {
        for opcode in [WebSocketOpcode.close, .ping, .pong] {
            XCTAssertEqual(failCode(parse(encodedFrame(opcode, [1], fin: false))), 1002, "\(opcode)")
        }
    }

    func testUnmaskedClientFrameFails1002() {
        XCTAssertEqual(failCode(parse(encodedFrame(.text, Array("hi".utf8), masked: false))), 1002)
        XCTAssertEqual(failCode(parse([0x81, 0x00])), 1002)
    }

    func testClientSideAcceptsUnmaskedAndMasked() {
        XCTAssertEqual(parse(encodedFrame(.text, [0x61], masked: false), requireMasked: false),
                       .frame(WebSocketFrame(opcode: .text, payload: [0x61])))
        XCTAssertEqual(parse(encodedFrame(.text, [0x61], masked: true), requireMasked: false),
                       .frame(WebSocketFrame(opcode: .text, payload: [0x61])))
    }

    func testSixtyFourBitLengthWithHighBitFails1002() {
        let bytes: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]
        XCTAssertEqual(failCode(parse(bytes)), 1002)
        XCTAssertEqual(failCode(parse(Array(bytes[0..<10]))), 1002)
        XCTAssertEqual(parse(Array(bytes[0..<9])), .needMore)
    }

    func testTruncatedHeadersNeedMore() {
        XCTAssertEqual(parse([]), .needMore)
        XCTAssertEqual(parse([0x81]), .needMore)
        XCTAssertEqual(parse([0x81, 0xFE, 0x01]), .needMore)  // 16-bit length incomplete
        XCTAssertEqual(parse([0x81, 0x85, 0x37, 0xFA]), .needMore)  // mask incomplete
    }
}
