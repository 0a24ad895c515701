// The session state machine: fragmentation, interleaved control frames, UTF-8, size, close
// (Autobahn 5.*, 6.*, 7.*, 9.*).
import XCTest
@testable import WebSocket

final class SessionTests: XCTestCase {
    private func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, payload: payload)
    }

    private func failCode(_ action: WebSocketAction) -> UInt16? {
        if case .fail(let code, _) = action { return code }
        return nil
    }

    private func closeFrame(code: UInt16, reason: [UInt8] = []) -> WebSocketFrame {
        frame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }

    func testSingleFrameMessages() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.text, Array("héllo".utf8))), .text(Array("héllo".utf8)))
        XCTAssertEqual(session.receive(frame(.binary, [0xFF, 0x00])), .binary([0xFF, 0x00]))
        XCTAssertEqual(session.receive(frame(.text, [])), .text([]))
    }

    func testPingAndPong() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.ping, [1, 2, 3])), .sendPong([1, 2, 3]))
        XCTAssertEqual(session.receive(frame(.pong, [4])), .pongReceived([4]))
    }

    func testFragmentedMessageWithInterleavedPings() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.text, Array("fra".utf8), fin: false)), .none)
        XCTAssertEqual(session.receive(frame(.ping, Array("p1".utf8))), .sendPong(Array("p1".utf8)))
        XCTAssertEqual(session.receive(frame(.continuation, Array("gme".utf8), fin: false)), .none)
        XCTAssertEqual(session.receive(frame(.pong, [])), .pongReceived([]))
        XCTAssertEqual(session.receive(frame(.ping, [])), .sendPong([]))
        XCTAssertEqual(session.receive(frame(.continuation, Array("nts".utf8))), .text(Array("fragments".utf8)))
        // The next message starts clean.
        XCTAssertEqual(session.receive(frame(.binary, [1], fin: false)), .none)
        XCTAssertEqual(session.receive(frame(.continuation, [])), .binary([1]))
    }

    func testContinuationWithoutMessageFails1002() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(failCode(session.receive(frame(.continuation, [1]))), 1002)
        var finished = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(finished.receive(frame(.text, [0x61])), .text([0x61]))
        XCTAssertEqual(failCode(finished.receive(frame(.continuation, [0x61]))), 1002)
    }

    func testNewMessageInsideFragmentedOneFails1002() {
        for opcode in [WebSocketOpcode.text, .binary] {
            var session = WebSocketSession(maxMessageSize: 1000)
            XCTAssertEqual(session.receive(frame(.binary, [1], fin: false)), .none)
            XCTAssertEqual(failCode(session.receive(frame(opcode, [2]))), 1002)
        }
    }

    func testFramesAfterFailureAreIgnored() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(failCode(session.receive(frame(.continuation, [1]))), 1002)
        XCTAssertEqual(session.receive(frame(.ping, [])), .none)
    }

    func testControlFramesRecheckedInSession() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(failCode(session.receive(frame(.ping, [], fin: false))), 1002)
        var other = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(failCode(other.receive(frame(.ping, [UInt8](repeating: 0, count: 126)))), 1002)
    }

    func testMessageSizeLimitAcrossFragments() {
        var session = WebSocketSession(maxMessageSize: 10)
        XCTAssertEqual(session.receive(frame(.binary, [UInt8](repeating: 1, count: 6), fin: false)), .none)
        // Fails as soon as the running total passes the limit, before the final fragment.
        XCTAssertEqual(failCode(session.receive(frame(.continuation, [UInt8](repeating: 1, count: 5), fin: false))), 1009)

        var exact = WebSocketSession(maxMessageSize: 10)
        XCTAssertEqual(exact.receive(frame(.text, [UInt8](repeating: 0x61, count: 6), fin: false)), .none)
        XCTAssertEqual(exact.receive(frame(.continuation, [UInt8](repeating: 0x61, count: 4))),
                       .text([UInt8](repeating: 0x61, count: 10)))
        XCTAssertEqual(failCode(exact.receive(frame(.binary, [UInt8](repeating: 1, count: 11)))), 1009)
    }

    func testInvalidUTF8FailsFastAtFirstBadFragment() {
        // Autobahn 6.4.1: "κόσμε" then the invalid 0xF4 0x90 0x80 0x80, then "edited".
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.text, [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5], fin: false)), .none)
        XCTAssertEqual(failCode(session.receive(frame(.continuation, [0xF4, 0x90, 0x80, 0x80], fin: false))), 1007)
        XCTAssertEqual(session.receive(frame(.continuation, Array("edited".utf8))), .none)
    }

    func testInvalidUTF8InSingleFrameFails1007() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0xCE]] {
            var session = WebSocketSession(maxMessageSize: 1000)
            XCTAssertEqual(failCode(session.receive(frame(.text, bad))), 1007, "\(bad)")
        }
    }

    func testBinaryIsNotValidatedAsUTF8() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.binary, [0xFF, 0xC0])), .binary([0xFF, 0xC0]))
    }

    func testValidUTF8SplitMidCodePointAcrossFragments() {
        let text = Array("a€𝄞b".utf8)  // 1 + 3 + 4 + 1 bytes
        for split1 in 1..<text.count {
            for split2 in split1..<text.count {
                var session = WebSocketSession(maxMessageSize: 1000)
                XCTAssertEqual(session.receive(frame(.text, Array(text[..<split1]), fin: false)), .none)
                XCTAssertEqual(session.receive(frame(.continuation, Array(text[split1..<split2]), fin: false)), .none)
                XCTAssertEqual(session.receive(frame(.continuation, Array(text[split2...]))), .text(text))
            }
        }
    }

    func testTextEndingInsideCodePointFails1007() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.text, [0x61, 0xE2], fin: false)), .none)
        XCTAssertEqual(failCode(session.receive(frame(.continuation, [0x82]))), 1007)
    }

    func testEmptyCloseRepliesWithEmptyClose() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.close, [])), .close(replyCode: nil, reason: []))
        XCTAssertTrue(session.closeReceived)
    }

    func testValidCloseCodesAreEchoed() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            var session = WebSocketSession(maxMessageSize: 1000)
            XCTAssertEqual(session.receive(closeFrame(code: code, reason: Array("bye".utf8))),
                           .close(replyCode: code, reason: Array("bye".utf8)), "code \(code)")
        }
    }

    func testInvalidCloseCodesFail1002() {
        var codes: [UInt16] = [0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
        codes += Array(stride(from: 1012, through: 2999, by: 97))
        for code in codes {
            XCTAssertFalse(WebSocketCloseCode.isValidReceived(code), "code \(code)")
            var session = WebSocketSession(maxMessageSize: 1000)
            XCTAssertEqual(failCode(session.receive(closeFrame(code: code))), 1002, "code \(code)")
        }
    }

    func testClosePayloadOfOneByteFails1002() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(failCode(session.receive(frame(.close, [0x03]))), 1002)
    }

    func testCloseReasonWithBadUTF8Fails1007() {
        for reason: [UInt8] in [[0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80], [0xE2, 0x82]] {
            var session = WebSocketSession(maxMessageSize: 1000)
            XCTAssertEqual(failCode(session.receive(closeFrame(code: 1000, reason: reason))), 1007)
        }
    }

    func testFramesAfterCloseAreIgnored() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertEqual(session.receive(frame(.text, [0x61], fin: false)), .none)
        XCTAssertEqual(session.receive(closeFrame(code: 1000)), .close(replyCode: 1000, reason: []))
        XCTAssertEqual(session.receive(frame(.ping, [1])), .none)
        XCTAssertEqual(session.receive(frame(.continuation, [0x62])), .none)
        XCTAssertEqual(session.receive(frame(.text, [0x61])), .none)
    }

    func testCloseSentIsTracked() {
        var session = WebSocketSession(maxMessageSize: 1000)
        XCTAssertFalse(session.closeSent)
        session.markCloseSent()
        XCTAssertTrue(session.closeSent)
        XCTAssertEqual(session.receive(closeFrame(code: 1000)), .close(replyCode: 1000, reason: []))
    }

    func testParserAndSessionTogether() {
        var bytes = encodedFrame(.text, Array("he".utf8), fin: false)
        bytes += encodedFrame(.ping, Array("?".utf8))
        bytes += encodedFrame(.continuation, Array("llo".utf8))
        var parser = serverParser()
        var session = WebSocketSession(maxMessageSize: 1000)
        var actions: [WebSocketAction] = []
        var offset = 0
        while offset < bytes.count {
            let (consumed, result) = parser.parse(Array(bytes[offset...]))
            guard case .frame(let frame) = result else { return XCTFail("\(result)") }
            actions.append(session.receive(frame))
            offset += consumed
        }
        XCTAssertEqual(actions, [.none, .sendPong(Array("?".utf8)), .text(Array("hello".utf8))])
    }
}
