import Hub
import JSON
import XCTest
@testable import SocketIO

final class HubBridgeTests: XCTestCase {
    private func s(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func hubFrame(_ events: [EncodedEvent], topic: String = "inbox", epoch: String = "e1") -> [UInt8] {
        var acc = BatchAccumulator(topic: topic, epoch: epoch)
        for e in events { acc.append(e) }
        return acc.takeFrame()!.frame
    }

    func testPerEventPacketsCarryTopicEpochAndOffset() throws {
        let frame = hubFrame([EncodedEvent(seq: 4, type: "message.received", ts: 9, data: Array(#"{"a":1}"#.utf8)),
                              EncodedEvent(seq: 5, type: "message.status", ts: 10, data: Array("2".utf8), meta: Array(#"{"m":1}"#.utf8))])
        let parsed = try XCTUnwrap(HubFrameTranscoder.parse(webSocketFrame: frame))
        XCTAssertEqual(parsed.firstSeq, 4)
        XCTAssertEqual(parsed.lastSeq, 5)
        let packets = HubFrameTranscoder.perEventPackets(parsed, names: EventNameMap(["message.received": "new_message"]))
        XCTAssertEqual(packets.map(s), [
            #"42["new_message",{"topic":"inbox","epoch":"e1","seq":4,"type":"message.received","ts":9,"data":{"a":1}},"4-e1-inbox"]"#,
            #"42["message.status",{"topic":"inbox","epoch":"e1","seq":5,"type":"message.status","ts":10,"data":2,"meta":{"m":1}},"5-e1-inbox"]"#,
        ])
        // Each is a valid Socket.IO EVENT.
        for p in packets { XCTAssertNotNil(try? SocketIOCodec.decode(Array(p.dropFirst())).get()) }
    }

    func testBatchPacket() throws {
        let big = String(repeating: "x", count: 70_000)  // 8-byte WebSocket length
        let frame = hubFrame([EncodedEvent(seq: 1, type: "t", ts: 2, data: Array("\"\(big)\"".utf8))], topic: "a.b")
        let parsed = try XCTUnwrap(HubFrameTranscoder.parse(webSocketFrame: frame))
        let packet = s(HubFrameTranscoder.batchPacket(parsed))
        XCTAssertTrue(packet.hasPrefix(#"42["batch",{"topic":"a.b","epoch":"e1","events":[{"seq":1,"type":"t","ts":2,"data":"xxx"#))
        XCTAssertTrue(packet.hasSuffix(#""}]},"1-e1-a.b"]"#))
        let decoded = try SocketIOCodec.decode(Array(packet.utf8.dropFirst())).get()
        XCTAssertEqual(decoded.eventName, "batch")
    }

    func testNotAHubFrame() {
        XCTAssertNil(HubFrameTranscoder.parse(webSocketFrame: [0x81, 2, 0x7B, 0x7D]))
        XCTAssertNil(HubFrameTranscoder.parse(webSocketFrame: [0x82]))
        XCTAssertNil(HubFrameTranscoder.parse(payload: Array(#"{"op":"batch","topic":"t","epoch":"e","events":[]}"#.utf8)))
    }

    func testOffsetRoundTripAndForeignStrings() {
        let o = EventOffset(topic: "conversation.1-2", epoch: "abc", seq: 42)
        XCTAssertEqual(o.text, "42-abc-conversation.1-2")
        XCTAssertEqual(EventOffset(o.text), o)
        XCTAssertNil(EventOffset("x-abc-inbox"))
        XCTAssertNil(EventOffset("-1-abc-inbox"))
        XCTAssertNil(EventOffset("1--inbox"))
        XCTAssertNil(EventOffset("1-abc-bad topic"))
        XCTAssertNil(EventOffset(""))
    }

    func testNameMapParsing() {
        XCTAssertEqual(try EventNameMap.parse("message.received=new_message, message.status=message_status").get(),
                       EventNameMap(["message.received": "new_message", "message.status": "message_status"]))
        XCTAssertEqual(try EventNameMap.parse("").get(), EventNameMap())
        XCTAssertNil(try? EventNameMap.parse("a").get())
        XCTAssertNil(try? EventNameMap.parse("a=").get())
        XCTAssertNil(try? EventNameMap.parse("a=b=c").get())
        XCTAssertNil(try? EventNameMap.parse("a=connect").get())
        XCTAssertNil(try? EventNameMap.parse("a=x,a=y").get())
    }

    func testTrailRewindsToTheOffsetsFrame() {
        var t = DeliveryTrail(capacity: 10)
        t.positioned("a", at: StreamPosition(epoch: "e", seq: 0))
        t.positioned("b", at: StreamPosition(epoch: "f", seq: 7))
        t.delivered(topic: "a", epoch: "e", firstSeq: 1, lastSeq: 3)
        t.delivered(topic: "b", epoch: "f", firstSeq: 8, lastSeq: 8)
        t.delivered(topic: "a", epoch: "e", firstSeq: 4, lastSeq: 6)
        XCTAssertEqual(t.positions(asOf: EventOffset(topic: "a", epoch: "e", seq: 2)),
                       ["a": StreamPosition(epoch: "e", seq: 2), "b": StreamPosition(epoch: "f", seq: 7)])
        XCTAssertEqual(t.positions(asOf: EventOffset(topic: "b", epoch: "f", seq: 8)),
                       ["a": StreamPosition(epoch: "e", seq: 3), "b": StreamPosition(epoch: "f", seq: 8)])
        XCTAssertEqual(t.positions(asOf: EventOffset(topic: "a", epoch: "e", seq: 6)), t.positions)
        XCTAssertNil(t.positions(asOf: EventOffset(topic: "a", epoch: "other", seq: 2)))
        XCTAssertNil(t.positions(asOf: EventOffset(topic: "a", epoch: "e", seq: 7)))
    }

    func testTrailForgetsOldFrames() {
        var t = DeliveryTrail(capacity: 2)
        for i in 1...3 { t.delivered(topic: "a", epoch: "e", firstSeq: Int64(i), lastSeq: Int64(i)) }
        XCTAssertNil(t.positions(asOf: EventOffset(topic: "a", epoch: "e", seq: 1)))
        XCTAssertEqual(t.positions(asOf: EventOffset(topic: "a", epoch: "e", seq: 2)), ["a": StreamPosition(epoch: "e", seq: 2)])
    }

    func testEventRequestsUseTheWsCodec() {
        guard case .success(.subscribe(_, let topics, let since, _)) = SocketIOEventRequest.decode(
            name: "subscribe", arguments: [.object([("topics", .array([.string("inbox")])), ("since", .object([("inbox", .object([("epoch", .string("e")), ("seq", .number("3"))]))]))])]) else {
            return XCTFail("subscribe not decoded")
        }
        XCTAssertEqual(topics.map(\.description), ["inbox"])
        XCTAssertEqual(since, ["inbox": StreamPosition(epoch: "e", seq: 3)])
        XCTAssertEqual(SocketIOEventRequest.decode(name: "subscribe", arguments: [.object([("topics", .array([]))])]),
                       .failure(ClientRefusal(code: "bad_request", message: "topics must not be empty")))
        XCTAssertEqual(SocketIOEventRequest.decode(name: "dance", arguments: []),
                       .failure(ClientRefusal(code: "unknown_event", message: "unknown event: dance")))
        XCTAssertEqual(SocketIOEventRequest.decode(name: "publish", arguments: [.string("x")]),
                       .failure(ClientRefusal(code: "bad_request", message: "publish takes one object argument")))
        if case .success(.publish(_, "t", "x", let data)) = SocketIOEventRequest.decode(
            name: "publish", arguments: [.object([("topic", .string("t")), ("type", .string("x")), ("data", .object([("k", .null)]))])]) {
            XCTAssertEqual(String(decoding: data, as: UTF8.self), #"{"k":null}"#)
        } else {
            XCTFail("publish not decoded")
        }
    }

    func testAckShapes() {
        var e = SubscribeAckEntry(topic: "inbox", epoch: "e", seq: 3)
        e.recovered = true
        XCTAssertEqual(s(SocketIOEventRequest.subscribeAck([e, .wildcard("c.*")])),
                       #"{"topics":{"inbox":{"epoch":"e","seq":3,"recovered":true},"c.*":{"wildcard":true}}}"#)
        XCTAssertEqual(s(SocketIOEventRequest.errorAck(ClientRefusal(code: "forbidden", message: "no"))),
                       #"{"error":{"code":"forbidden","message":"no"}}"#)
    }
}
