import JSON
import XCTest
@testable import SocketIO

final class SocketIOCodecTests: XCTestCase {
    private func decode(_ s: String) -> SocketIOPacket? { try? SocketIOCodec.decode(Array(s.utf8)).get() }

    func testConnectWithAndWithoutAuth() {
        XCTAssertEqual(decode("0"), SocketIOPacket(type: .connect))
        XCTAssertEqual(decode(#"0{"token":"t"}"#), SocketIOPacket(type: .connect, payload: .object([("token", .string("t"))])))
        XCTAssertEqual(decode(#"0/admin,{"token":"t"}"#)?.namespace, "/admin")
        XCTAssertEqual(decode("0/admin,"), SocketIOPacket(type: .connect, namespace: "/admin"))
        XCTAssertNil(decode("0[1]"))
        XCTAssertNil(decode(#"0"x""#))
    }

    func testEventWithAckID() {
        let p = decode(#"212["subscribe",{"topics":["inbox"]}]"#)
        XCTAssertEqual(p?.type, .event)
        XCTAssertEqual(p?.ackID, 12)
        XCTAssertEqual(p?.eventName, "subscribe")
        XCTAssertEqual(p?.eventArguments, [.object([("topics", .array([.string("inbox")]))])])
        XCTAssertEqual(decode(#"2/x,3["a"]"#)?.namespace, "/x")
        XCTAssertEqual(decode(#"2/x,3["a"]"#)?.ackID, 3)
    }

    func testEventShapesThatTheReferenceParserRefuses() {
        XCTAssertNil(decode("2"))
        XCTAssertNil(decode("2[]"))
        XCTAssertNil(decode("2{}"))
        XCTAssertNil(decode(#"2[{}]"#))
        XCTAssertNil(decode(#"2["connect"]"#))
        XCTAssertNil(decode(#"2["disconnect",1]"#))
        XCTAssertNotNil(decode("2[1]"))  // a numeric event name is allowed by socket.io-parser
        XCTAssertNil(decode(#"2["a""#))
        XCTAssertNil(decode("9"))
        XCTAssertNil(decode(""))
        XCTAssertNil(decode("2999999999999999999999[\"a\"]"))
    }

    func testBinaryEventNeedsAttachmentCount() {
        let p = decode(#"51-["upload",{"_placeholder":true,"num":0}]"#)
        XCTAssertEqual(p?.type, .binaryEvent)
        XCTAssertEqual(p?.attachments, 1)
        XCTAssertNil(decode(#"5["upload"]"#))
        XCTAssertNil(decode(#"5-["upload"]"#))
        XCTAssertNil(decode(#"599999-["upload"]"#))
        XCTAssertEqual(decode(#"61-/x,4[{"_placeholder":true,"num":0}]"#)?.ackID, 4)
    }

    func testAckAndDisconnect() {
        XCTAssertEqual(decode("37[]")?.ackID, 7)
        XCTAssertNil(decode("3[]"))  // an ack without id
        XCTAssertEqual(decode("1"), SocketIOPacket(type: .disconnect))
        XCTAssertNil(decode("1{}"))
        XCTAssertEqual(decode(#"4{"message":"x"}"#)?.type, .connectError)
    }

    func testEncoders() {
        XCTAssertEqual(String(decoding: SocketIOCodec.connect(sid: "s", pid: "p"), as: UTF8.self), #"0{"sid":"s","pid":"p"}"#)
        XCTAssertEqual(String(decoding: SocketIOCodec.connectError(message: "unauthorized"), as: UTF8.self), #"4{"message":"unauthorized"}"#)
        XCTAssertEqual(String(decoding: SocketIOCodec.connectError(namespace: "/admin", message: "Invalid namespace"), as: UTF8.self),
                       #"4/admin,{"message":"Invalid namespace"}"#)
        XCTAssertEqual(String(decoding: SocketIOCodec.ack(id: 5, arguments: [Array("{}".utf8)]), as: UTF8.self), "35[{}]")
        var out: [UInt8] = []
        SocketIOCodec.appendEvent(name: "x\"y", arguments: [Array("1".utf8)[...]], to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), #"2["x\"y",1]"#)
        XCTAssertEqual(SocketIOCodec.disconnect(), [UInt8(ascii: "1")])
    }

    func testEncodedPacketsDecodeBack() throws {
        let p = try SocketIOCodec.decode(SocketIOCodec.ack(id: 9, arguments: [Array(#"{"seq":3}"#.utf8)])).get()
        XCTAssertEqual(p.ackID, 9)
        XCTAssertEqual(p.payload, .array([.object([("seq", .number("3"))])]))
    }
}
