import XCTest
import JSON
@testable import Hub

final class BatchAccumulatorTests: XCTestCase {
    /// Minimal RFC 6455 reader for an unmasked server frame: returns (fin, opcode, payload).
    private func readFrame(_ frame: [UInt8]) -> (fin: Bool, opcode: UInt8, payload: [UInt8])? {
        guard frame.count >= 2, frame[1] & 0x80 == 0 else { return nil }
        var length = Int(frame[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard frame.count >= 4 else { return nil }
            length = Int(frame[2]) << 8 | Int(frame[3])
            guard length >= 126 else { return nil }  // minimal encoding
            offset = 4
        } else if length == 127 {
            guard frame.count >= 10 else { return nil }
            length = frame[2..<10].reduce(0) { $0 << 8 | Int($1) }
            guard length > 0xFFFF else { return nil }
            offset = 10
        }
        guard frame.count == offset + length else { return nil }
        return (frame[0] & 0x80 != 0, frame[0] & 0x0F, Array(frame[offset...]))
    }

    private func event(_ seq: Int64, dataBytes: Int = 5) -> EncodedEvent {
        EncodedEvent(seq: seq, type: "conversation.updated", ts: 1_764_460_000_000 + seq,
                     data: Array(("\"" + String(repeating: "x", count: dataBytes) + "\"").utf8))
    }

    private func check(eventCount: Int, dataBytes: Int, expectedLengthField: UInt8, topic: String = "conversation.155512") throws {
        var batch = BatchAccumulator(topic: topic)
        for s in 1...eventCount { batch.append(event(Int64(s) + 10, dataBytes: dataBytes)) }
        let taken = try XCTUnwrap(batch.takeFrame())
        XCTAssertEqual(taken.events, eventCount)
        XCTAssertEqual(taken.firstSeq, 11)
        XCTAssertEqual(taken.lastSeq, Int64(eventCount) + 10)
        XCTAssertEqual(taken.frame[1] & 0x7F == 126 ? 126 : (taken.frame[1] & 0x7F == 127 ? 127 : 0), expectedLengthField)
        let frame = try XCTUnwrap(readFrame(taken.frame), "not a valid frame")
        XCTAssertTrue(frame.fin)
        XCTAssertEqual(frame.opcode, 1)
        let v = try JSONParser.parse(frame.payload)
        XCTAssertEqual(v["op"], .string("batch"))
        XCTAssertEqual(v["topic"], .string(topic))
        XCTAssertEqual(v["events"]?.arrayValue?.compactMap { $0["seq"]?.intValue }, (1...eventCount).map { Int64($0) + 10 })
        XCTAssertTrue(batch.isEmpty)
        XCTAssertEqual(batch.pendingBytes, 0)
        XCTAssertNil(batch.takeFrame())
    }

    func testSevenBitLength() throws { try check(eventCount: 1, dataBytes: 1, expectedLengthField: 0, topic: "t") }
    func testSixteenBitLength() throws { try check(eventCount: 20, dataBytes: 50, expectedLengthField: 126) }
    func testSixtyFourBitLength() throws { try check(eventCount: 3, dataBytes: 30_000, expectedLengthField: 127) }

    func testLengthBoundaries() {
        for n in [0, 125, 126, 65_535, 65_536] {
            var out: [UInt8] = []
            WebSocketTextFrame.appendHeader(payloadLength: n, to: &out)
            XCTAssertEqual(out.count, WebSocketTextFrame.headerLength(payloadLength: n), "\(n)")
            XCTAssertNotNil(readFrame(out + [UInt8](repeating: 0x20, count: n)), "\(n)")
        }
    }

    func testSizeWindow() {
        var batch = BatchAccumulator(topic: "inbox")
        XCTAssertNil(batch.takeFrame())
        batch.append(event(1))
        XCTAssertFalse(batch.isFull(maxEvents: 2, maxBytes: 10_000))
        batch.append(event(2))
        XCTAssertTrue(batch.isFull(maxEvents: 2, maxBytes: 10_000))
        XCTAssertTrue(batch.isFull(maxEvents: 100, maxBytes: batch.pendingBytes))
        XCTAssertEqual(batch.pendingBytes, event(1).byteCount + event(2).byteCount)
        XCTAssertEqual(batch.pendingEvents, 2)
    }

    func testFramePayloadEqualsAppendBatch() throws {
        var batch = BatchAccumulator(topic: "inbox")
        let events = [event(1), event(2), event(3)]
        events.forEach { batch.append($0) }
        let frame = try XCTUnwrap(readFrame(try XCTUnwrap(batch.takeFrame()).frame))
        var expected: [UInt8] = []
        ProtocolCodec.appendBatch(topic: "inbox", events: events, to: &expected)
        XCTAssertEqual(frame.payload, expected)
    }
}
