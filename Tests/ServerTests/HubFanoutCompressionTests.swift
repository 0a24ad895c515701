// Compress-once fan-out: a hub frame is compressed at most once per negotiated window size and
// the same compressed bytes go to every subscriber with that window; small frames and
// subscribers without the extension get the plain frame.
import Deflate
import Hub
import Reactor
import XCTest
@testable import Server

final class HubFanoutCompressionTests: XCTestCase {
    final class Subscriber: HubSubscriber, @unchecked Sendable {
        let loop: EventLoop
        let outboundDeflate: OutboundDeflate?
        var queuedBytes = 0
        var bytesWritten = 0
        var skipUpTo: [String: StreamPosition] = [:]
        var frames: [SharedBytes] = []
        let onFrame: () -> Void
        init(loop: EventLoop, deflate: OutboundDeflate?, onFrame: @escaping () -> Void) {
            self.loop = loop
            self.outboundDeflate = deflate
            self.onFrame = onFrame
        }
        func sendFrame(_ frame: SharedBytes) {
            bytesWritten += frame.count
            frames.append(frame)
            onFrame()
        }
        func closeSlowConsumer() {}
    }

    var group: EventLoopGroup!

    override func setUp() {
        group = try! EventLoopGroup(count: 2)
        group.start()
    }

    override func tearDown() { group.stopAndJoin() }

    private func deliver(payload: [UInt8], to windows: [Int?], minBytes: Int = 256) -> [Subscriber] {
        var settings = HubSettings()
        settings.batchWindowMs = 0
        let hub = HubFanout(settings: settings, loops: group.loops)
        let delivered = expectation(description: "every subscriber got the frame")
        delivered.expectedFulfillmentCount = windows.count
        // Alternate loops, so sharing across loops is exercised too.
        let subs = windows.enumerated().map { i, bits in
            Subscriber(loop: group.loops[i % 2], deflate: bits.map { OutboundDeflate(windowBits: $0, minBytes: minBytes) }) { delivered.fulfill() }
        }
        let subscribed = expectation(description: "subscribed")
        subscribed.expectedFulfillmentCount = subs.count
        for sub in subs {
            sub.loop.execute {
                _ = hub.subscribe(sub, patterns: [TopicPattern("inbox")!], since: [:])
                subscribed.fulfill()
            }
        }
        wait(for: [subscribed], timeout: 5)
        hub.publish(topic: "inbox", type: "message.received", data: payload)
        wait(for: [delivered], timeout: 5)
        return subs
    }

    private func inflatedPayload(_ frame: SharedBytes) -> [UInt8]? {
        let bytes = frame.bytes
        guard bytes[0] == 0xC1 else { return nil }  // FIN, RSV1, text
        let short = Int(bytes[1] & 0x7F)
        let header = short == 126 ? 4 : (short == 127 ? 10 : 2)
        let inflater = MessageInflater(keepsContext: false)
        var out: [UInt8] = []
        let body = Array(bytes[header...])
        guard body.withUnsafeBytes({ inflater.inflate($0, appendingTo: &out, limit: 1 << 20) }) == .ok,
              inflater.finishMessage(appendingTo: &out, limit: 1 << 20) == .ok else { return nil }
        return out
    }

    private var bigEvent: [UInt8] {
        Array(("{\"text\":\"" + String(repeating: "hello from whatsapp ", count: 40) + "\"}").utf8)
    }

    func testOneCompressedFramePerWindowSharedByItsSubscribers() throws {
        let subs = deliver(payload: bigEvent, to: [15, 15, 15, 10, 10, nil])
        let f15 = subs[0...2].map { $0.frames[0] }, f10 = subs[3...4].map { $0.frames[0] }, plain = subs[5].frames[0]
        XCTAssertTrue(f15.allSatisfy { $0 === f15[0] }, "window 15: one SharedBytes for all")
        XCTAssertTrue(f10.allSatisfy { $0 === f10[0] }, "window 10: one SharedBytes for all")
        XCTAssertFalse(f15[0] === f10[0])
        XCTAssertEqual(plain.bytes[0], 0x81, "no extension: the plain frame, RSV1 clear")
        let plainPayload = Array(plain.bytes[4...])  // 126-length header: the frame is > 125 bytes
        XCTAssertEqual(try XCTUnwrap(inflatedPayload(f15[0])), plainPayload)
        XCTAssertEqual(try XCTUnwrap(inflatedPayload(f10[0])), plainPayload)
        XCTAssertLessThan(f15[0].count * 3, plain.count, "the batch compresses to under a third")
    }

    func testFramesUnderTheMinimumGoOutPlain() {
        let subs = deliver(payload: Array(#"{"n":1}"#.utf8), to: [15, nil])
        XCTAssertEqual(subs[0].frames[0].bytes[0], 0x81, "small frame: RSV1 clear")
        XCTAssertTrue(subs[0].frames[0] === subs[1].frames[0])
    }

    func testMinimumIsAPerConnectionSetting() {
        let subs = deliver(payload: Array(#"{"n":1}"#.utf8), to: [15], minBytes: 0)
        XCTAssertEqual(subs[0].frames[0].bytes[0], 0xC1)
    }
}
