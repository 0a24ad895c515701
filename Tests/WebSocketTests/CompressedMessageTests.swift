// RSV1 and permessage-deflate messages through the parser and the session (RFC 7692 §6, §7.2):
// RSV1 only on the first frame of a data message of a connection that negotiated the extension,
// inflation frame by frame with the limit on inflated bytes, and client context takeover.
import Deflate
import XCTest
@testable import WebSocket

final class CompressedMessageTests: XCTestCase {
    private func failCode(_ action: WebSocketAction) -> UInt16? {
        if case .fail(let code, _) = action { return code }
        return nil
    }

    private func parse(_ bytes: [UInt8], compression: Bool) -> WebSocketParseResult {
        var parser = WebSocketFrameParser(requireMasked: false, maxFramePayload: 1 << 20, allowsCompression: compression)
        return parser.parse(bytes).result
    }

    func testRSV1WithoutTheExtensionIs1002() {
        XCTAssertEqual(parse([0xC1, 0x01, 0x00], compression: false), .fail(code: 1002, reason: "RSV1 set without a compressed message start"))
    }

    func testRSV1OnControlOrContinuationIs1002() {
        for first: UInt8 in [0xC9, 0xCA, 0xC8, 0x40] {  // ping, pong, close, continuation with RSV1
            guard case .fail(let code, _) = parse([first, 0x00], compression: true) else { return XCTFail("\(first)") }
            XCTAssertEqual(code, 1002)
        }
    }

    func testRSV2AndRSV3StayErrors() {
        for first: UInt8 in [0xA1, 0x91, 0xE1] {
            guard case .fail(let code, _) = parse([first, 0x00], compression: true) else { return XCTFail("\(first)") }
            XCTAssertEqual(code, 1002)
        }
    }

    func testRSV1OnFirstDataFrameIsParsed() {
        XCTAssertEqual(parse([0xC1, 0x01, 0x00], compression: true),
                       .frame(WebSocketFrame(fin: true, opcode: .text, payload: [0x00], compressed: true)))
    }

    func testEncoderSetsRSV1() {
        var out: [UInt8] = []
        WebSocketFrameEncoder.append(opcode: .text, payload: [1, 2], compressed: true, to: &out)
        XCTAssertEqual(out, [0xC1, 0x02, 1, 2])
    }

    private func session(limit: Int = 1 << 20, noContext: Bool = false) -> WebSocketSession {
        WebSocketSession(maxMessageSize: limit,
                         inflater: PerMessageDeflateParameters(clientNoContextTakeover: noContext).makeInflater())
    }

    private func compressed(_ text: String) -> [UInt8] {
        MessageDeflater(windowBits: 15)!.compress(Array(text.utf8))
    }

    func testCompressedTextIsInflated() {
        var s = session()
        let text = String(repeating: "hello hub ", count: 40)
        XCTAssertEqual(s.receive(WebSocketFrame(opcode: .text, payload: compressed(text), compressed: true)), .text(Array(text.utf8)))
        // Uncompressed messages still work on the same connection.
        XCTAssertEqual(s.receive(WebSocketFrame(opcode: .text, payload: Array("plain".utf8))), .text(Array("plain".utf8)))
    }

    func testFragmentedCompressedMessage() {
        var s = session()
        let text = String(repeating: "fragmented ", count: 30)
        let bytes = compressed(text)
        let half = bytes.count / 2
        XCTAssertEqual(s.receive(WebSocketFrame(fin: false, opcode: .text, payload: Array(bytes[..<half]), compressed: true)), .none)
        XCTAssertEqual(s.receive(WebSocketFrame(fin: true, opcode: .ping, payload: [])), .sendPong([]))
        XCTAssertEqual(s.receive(WebSocketFrame(fin: true, opcode: .continuation, payload: Array(bytes[half...]))), .text(Array(text.utf8)))
    }

    func testRSV1WithoutNegotiationInSessionIs1002() {
        var s = WebSocketSession(maxMessageSize: 100)
        XCTAssertEqual(failCode(s.receive(WebSocketFrame(opcode: .text, payload: [0], compressed: true))), 1002)
    }

    func testDeflateBombIs1009() {
        var s = session(limit: 64 << 10)
        let bomb = MessageDeflater(windowBits: 15)!.compress([UInt8](repeating: 0x61, count: 1 << 20))
        XCTAssertEqual(failCode(s.receive(WebSocketFrame(opcode: .binary, payload: bomb, compressed: true))), 1009)
    }

    func testInvalidUTF8AfterInflationIs1007() {
        var s = session()
        let bytes = MessageDeflater(windowBits: 15)!.compress([0x61, 0xC3, 0x28])
        XCTAssertEqual(failCode(s.receive(WebSocketFrame(opcode: .text, payload: bytes, compressed: true))), 1007)
    }

    func testCorruptDeflateDataIs1007() {
        var s = session()
        XCTAssertEqual(failCode(s.receive(WebSocketFrame(opcode: .binary, payload: [0xFF, 0xFF, 0xFF], compressed: true))), 1007)
    }

    func testClientContextIsKeptAcrossMessagesUnlessNegotiatedOff() {
        let text = Array(String(repeating: "context takeover ", count: 8).utf8)
        let client = MessageDeflater(windowBits: 15, keepsContext: true)!
        let first = client.compress(text), second = client.compress(text)
        var keeping = session()
        XCTAssertEqual(keeping.receive(WebSocketFrame(opcode: .text, payload: first, compressed: true)), .text(text))
        XCTAssertEqual(keeping.receive(WebSocketFrame(opcode: .text, payload: second, compressed: true)), .text(text))

        var forgetting = session(noContext: true)
        XCTAssertEqual(forgetting.receive(WebSocketFrame(opcode: .text, payload: first, compressed: true)), .text(text))
        XCTAssertNotNil(failCode(forgetting.receive(WebSocketFrame(opcode: .text, payload: second, compressed: true))))
    }
}
