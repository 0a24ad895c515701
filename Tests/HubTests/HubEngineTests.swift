import XCTest
import Synchronization
import Reactor
@testable import Hub

/// The threaded engine on a real loop with an injected wall clock: fan-out in seq order, positions
/// at subscribe, and idle topics dropped and started again under a new epoch without a subscriber
/// skipping the new events.
final class HubEngineTests: XCTestCase {
    final class Clock: @unchecked Sendable {
        let ms = Mutex<Int64>(1_000_000)
        func now() -> Int64 { ms.withLock { $0 } }
        func advance(_ d: Int64) { ms.withLock { $0 += d } }
    }

    final class Subscriber: HubSubscriber, @unchecked Sendable {
        let loop: EventLoop
        var queuedBytes = 0
        var skipUpTo: [String: StreamPosition] = [:]
        let frames = Mutex<[String]>([])
        init(loop: EventLoop) { self.loop = loop }
        func sendFrame(_ frame: SharedBytes) {
            // Strip the 2- or 4-byte WebSocket header of a server text frame.
            let bytes = frame.bytes
            let header = bytes[1] == 126 ? 4 : (bytes[1] == 127 ? 10 : 2)
            frames.withLock { $0.append(String(decoding: bytes[header...], as: UTF8.self)) }
        }
        func closeSlowConsumer() {}
    }

    var group: EventLoopGroup!

    override func setUp() {
        group = try! EventLoopGroup(count: 1)
        group.start()
    }

    override func tearDown() { group.stopAndJoin() }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = expectation(description: "loop")
        group.loops[0].execute {
            let v = body()
            result.withLock { $0 = v }
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        return result.withLock { $0! }
    }

    private func waitFrames(_ sub: Subscriber, _ n: Int) -> [String] {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let f = sub.frames.withLock { $0 }
            if f.count >= n { return f }
            usleep(2000)
        }
        return sub.frames.withLock { $0 }
    }

    func testIdleTopicIsDroppedAndRestartsWithANewEpochThatSubscribersReceive() throws {
        let clock = Clock()
        var settings = HubSettings()
        settings.batchWindowMs = 0
        settings.history = HistoryLimits(maxEvents: 100, ttlMs: 60_000)
        let engine = HubEngine(settings: settings, loops: group.loops, wallClockMs: { clock.now() })
        let sub = Subscriber(loop: group.loops[0])
        let ack = onLoop { engine.subscribe(sub, patterns: [TopicPattern("t")!], since: [:]).ack }
        let firstEpoch = ack[0].epoch
        for i in 1...3 { engine.publish(topic: "t", type: "x", data: Array("\(i)".utf8)) }
        var frames = waitFrames(sub, 1)
        XCTAssertTrue(frames.joined().contains(#""seq":3"#), frames.joined())
        let delivered = frames.count

        // Idle past the TTL: history expires and the topic is forgotten.
        clock.advance(61_000)
        engine.evictExpired()
        XCTAssertEqual(engine.topicCount, 0)
        XCTAssertEqual(engine.counters.topicsDropped.load(ordering: .relaxed), 1)

        // Published again: seq restarts under a new epoch, and the subscriber, whose position
        // says "seq 3 of the old epoch", still gets seq 1 of the new one.
        XCTAssertEqual(engine.publish(topic: "t", type: "x", data: Array("4".utf8)), 1)
        frames = waitFrames(sub, delivered + 1)
        XCTAssertEqual(frames.count, delivered + 1)
        let last = frames.last ?? ""
        XCTAssertTrue(last.contains(#""seq":1"#), last)
        XCTAssertFalse(last.contains(firstEpoch), "a new epoch after the topic was dropped")
    }

    func testActiveTopicIsKept() {
        let clock = Clock()
        var settings = HubSettings()
        settings.history = HistoryLimits(maxEvents: 100, ttlMs: 60_000)
        let engine = HubEngine(settings: settings, loops: group.loops, wallClockMs: { clock.now() })
        engine.publish(topic: "busy", type: "x", data: Array("1".utf8))
        clock.advance(30_000)
        engine.evictExpired()
        XCTAssertEqual(engine.topicCount, 1)
        XCTAssertEqual(engine.position(of: "busy")?.seq, 1)
    }
}
