import XCTest
import JSON
@testable import Hub

final class ProtocolCodecTests: XCTestCase {
    private func decode(_ text: String) -> Result<ClientOp, ProtocolError> {
        ProtocolCodec.decodeClient(Array(text.utf8))
    }

    private func text(_ build: (inout [UInt8]) -> Void) -> (String, JSONValue?) {
        var out: [UInt8] = []
        build(&out)
        return (String(decoding: out, as: UTF8.self), try? JSONParser.parse(out))
    }

    func testSubscribeWithSince() throws {
        let op = try decode(#"{"op":"subscribe","id":1,"topics":["inbox","conversation.*","inbox"],"since":{"inbox":{"epoch":"ab12","seq":41},"conversation.9":{"epoch":"cd","seq":0}}}"#).get()
        XCTAssertEqual(op, .subscribe(id: .number("1"),
                                      topics: [TopicPattern("inbox")!, TopicPattern("conversation.*")!],
                                      since: ["inbox": StreamPosition(epoch: "ab12", seq: 41),
                                              "conversation.9": StreamPosition(epoch: "cd", seq: 0)]))
        XCTAssertEqual(op.id, .number("1"))
    }

    func testOtherOps() throws {
        XCTAssertEqual(try decode(#"{"op":"unsubscribe","id":"u-2","topics":["inbox"]}"#).get(),
                       .unsubscribe(id: .string("u-2"), topics: [TopicPattern("inbox")!]))
        XCTAssertEqual(try decode(#"{"op":"ping"}"#).get(), .ping(id: nil))
        XCTAssertEqual(try decode(#" {"id":4,"op":"ping","extra":[1]} "#).get(), .ping(id: .number("4")))
        XCTAssertEqual(try decode(#"{"op":"subscribe","topics":["inbox"]}"#).get(),
                       .subscribe(id: nil, topics: [TopicPattern("inbox")!], since: [:]))
    }

    func testPublishKeepsRawDataBytes() throws {
        let data = #"{ "text" : "h\u00e9\n", "n": 1.50 ,"big":123456789012345678901234567890 }"#
        let op = try decode(#"{"op":"publish","id":3,"topic":"conversation.1","type":"message.sent","data":"# + data + "}").get()
        guard case let .publish(id, topic, type, bytes) = op else { return XCTFail("not a publish: \(op)") }
        XCTAssertEqual(id, .number("3"))
        XCTAssertEqual(topic, "conversation.1")
        XCTAssertEqual(type, "message.sent")
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), data)
        XCTAssertEqual(try decode(#"{"op":"publish","topic":"t","type":"x","data":null}"#).get(),
                       .publish(id: nil, topic: "t", type: "x", data: Array("null".utf8)))
    }

    func testMalformedRequests() {
        let tooMany = "[" + (0...ProtocolCodec.maxTopicsPerRequest).map { "\"t\($0)\"" }.joined(separator: ",") + "]"
        let table: [(String, JSONValue?, String)] = [
            ("", nil, "not a JSON object"), ("[]", nil, "not a JSON object"), (#"{"op":"ping",}"#, nil, "not a JSON object"),
            (#"{"op":"ping","id":{}}"#, nil, "id must be"), (#"{"op":"ping","id":null}"#, nil, "id must be"),
            (#"{"id":1}"#, .number("1"), "op is missing"), (#"{"op":7,"id":1}"#, .number("1"), "op must be a string"),
            (#"{"op":"shout","id":"x"}"#, .string("x"), "unknown op"),
            (#"{"op":"subscribe","id":1}"#, .number("1"), "topics is missing"),
            (#"{"op":"subscribe","id":1,"topics":"inbox"}"#, .number("1"), "array of strings"),
            (#"{"op":"subscribe","id":1,"topics":["inbox",2]}"#, .number("1"), "array of strings"),
            (#"{"op":"subscribe","id":1,"topics":[]}"#, .number("1"), "must not be empty"),
            (#"{"op":"subscribe","id":1,"topics":"# + tooMany + "}", .number("1"), "too many topics"),
            (#"{"op":"subscribe","id":1,"topics":["bad name"]}"#, .number("1"), "invalid topic name"),
            (#"{"op":"subscribe","id":1,"topics":["*"]}"#, .number("1"), "invalid topic name"),
            (#"{"op":"subscribe","id":1,"topics":["a..b"]}"#, .number("1"), "invalid topic name"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":[]}"#, .number("1"), "since must be an object"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":{"seq":1}}}"#, .number("1"), "since entry malformed"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":{"epoch":"e"}}}"#, .number("1"), "since entry malformed"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":{"epoch":"e","seq":-1}}}"#, .number("1"), "since entry malformed"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":{"epoch":"e","seq":1.5}}}"#, .number("1"), "since entry malformed"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":{"epoch":"","seq":1}}}"#, .number("1"), "since entry malformed"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":5}}"#, .number("1"), "since entry malformed"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"other":{"epoch":"e","seq":1}}}"#, .number("1"), "not in topics"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"in box":{"epoch":"e","seq":1}}}"#, .number("1"), "invalid topic name"),
            (#"{"op":"subscribe","id":1,"topics":["inbox"],"since":{"inbox":{"epoch":"e","seq":1},"inbox":{"epoch":"e","seq":2}}}"#, .number("1"), "duplicate since"),
            (#"{"op":"unsubscribe","id":2}"#, .number("2"), "topics is missing"),
            (#"{"op":"publish","id":3,"type":"x","data":{}}"#, .number("3"), "topic must be"),
            (#"{"op":"publish","id":3,"topic":"a.*","type":"x","data":{}}"#, .number("3"), "topic must be"),
            (#"{"op":"publish","id":3,"topic":"t","data":{}}"#, .number("3"), "type must be"),
            (#"{"op":"publish","id":3,"topic":"t","type":"","data":{}}"#, .number("3"), "type must be"),
            (#"{"op":"publish","id":3,"topic":"t","type":"x"}"#, .number("3"), "data is missing"),
            (#"{"op":"publish","id":3,"topic":"t","type":"x","data":{"a":01}}"#, nil, "not a JSON object"),
        ]
        for (request, id, fragment) in table {
            switch decode(request) {
            case .success(let op):
                XCTFail("accepted \(request) as \(op)")
            case .failure(let error):
                XCTAssertEqual(error.code, "bad_request", request)
                XCTAssertEqual(error.id, id, request)
                XCTAssertTrue(error.message.contains(fragment), "\(request): \(error.message)")
            }
        }
    }

    func testSubscribeAckEncoding() throws {
        let (raw, parsed) = text {
            ProtocolCodec.appendSubscribeAck(id: .number("1"), topics: [
                SubscribeAckEntry(topic: "inbox", epoch: "e1", seq: 57, recovered: true),
                SubscribeAckEntry(topic: "conversation.9", epoch: "e2", seq: 0, recovered: false),
                SubscribeAckEntry(topic: "alerts", epoch: "e3", seq: 3),
            ], to: &$0)
        }
        let v = try XCTUnwrap(parsed, raw)
        XCTAssertEqual(v["op"], .string("ack"))
        XCTAssertEqual(v["id"], .number("1"))
        XCTAssertEqual(v["topics"]?["inbox"], .object([("epoch", .string("e1")), ("seq", .number("57")), ("recovered", .bool(true))]))
        XCTAssertEqual(v["topics"]?["conversation.9"]?["recovered"], .bool(false))
        XCTAssertNil(v["topics"]?["alerts"]?["recovered"])
        XCTAssertEqual(v["topics"]?["alerts"]?["seq"]?.intValue, 3)
        XCTAssertEqual(raw, #"{"op":"ack","id":1,"topics":{"inbox":{"epoch":"e1","seq":57,"recovered":true},"conversation.9":{"epoch":"e2","seq":0,"recovered":false},"alerts":{"epoch":"e3","seq":3}}}"#)
    }

    func testOtherReplies() {
        XCTAssertEqual(text { ProtocolCodec.appendError(id: .string("x\"y"), code: "forbidden", message: "no \"alerts\"\n", to: &$0) }.0,
                       #"{"op":"error","id":"x\"y","code":"forbidden","message":"no \"alerts\"\n"}"#)
        XCTAssertEqual(text { ProtocolCodec.appendError(id: nil, code: "bad_request", message: "m", to: &$0) }.1,
                       .object([("op", .string("error")), ("code", .string("bad_request")), ("message", .string("m"))]))
        XCTAssertEqual(text { ProtocolCodec.appendPong(id: .number("4"), to: &$0) }.0, #"{"op":"pong","id":4}"#)
        XCTAssertEqual(text { ProtocolCodec.appendPong(id: nil, to: &$0) }.0, #"{"op":"pong"}"#)
        XCTAssertEqual(text { ProtocolCodec.appendPublishAck(id: .number("3"), topic: "t", seq: 5, to: &$0) }.0, #"{"op":"ack","id":3,"topic":"t","seq":5}"#)
        XCTAssertEqual(text { ProtocolCodec.appendAck(id: .number("2"), to: &$0) }.0, #"{"op":"ack","id":2}"#)
    }

    func testBatchEncoding() throws {
        let events = (1...3).map { EncodedEvent(seq: Int64($0), type: "t.x", ts: 1000 + Int64($0), data: Array(#"{"i":\#($0)}"#.utf8)) }
        let (raw, parsed) = text { ProtocolCodec.appendBatch(topic: "inbox", events: events, to: &$0) }
        let v = try XCTUnwrap(parsed, raw)
        XCTAssertEqual(v["op"], .string("batch"))
        XCTAssertEqual(v["topic"], .string("inbox"))
        XCTAssertEqual(v["events"]?.arrayValue?.compactMap { $0["seq"]?.intValue }, [1, 2, 3])
        XCTAssertEqual(v["events"]?.arrayValue?.last?["data"]?["i"]?.intValue, 3)
    }

    func testEncodedEventShape() throws {
        let plain = EncodedEvent(seq: 42, type: "conversation.updated", ts: 1_764_460_000_123, data: Array(#"{"a":[1]}"#.utf8))
        XCTAssertEqual(String(decoding: plain.bytes, as: UTF8.self),
                       #"{"seq":42,"type":"conversation.updated","ts":1764460000123,"data":{"a":[1]}}"#)
        XCTAssertEqual(plain.byteCount, plain.bytes.count)
        let withMeta = EncodedEvent(seq: 1, type: "q\"", ts: 0, data: Array("null".utf8), meta: Array(#"{"by":"svc"}"#.utf8))
        let v = try JSONParser.parse(withMeta.bytes)
        XCTAssertEqual(v["type"], .string("q\""))
        XCTAssertEqual(v["meta"]?["by"], .string("svc"))
        XCTAssertEqual(v["data"], .null)
    }
}
