import XCTest
import Synchronization
import Hub
import Reactor
@testable import Server

/// The adapter on one real loop: frames reach every subscriber as the same bytes, a subscriber
/// over its buffer is closed, and external publishes are refused while reading subscribers are
/// behind. (The hub's logic itself is tested without loops in HubTests.)
final class HubFanoutTests: XCTestCase {
    final class Subscriber: HubSubscriber, @unchecked Sendable {
        // Touched on the loop; the test reads it after the loop has run (expectations order it).
        let loop: EventLoop
        var queuedBytes = 0
        private var written = 0
        var bytesWritten: Int {
            // A reader that keeps reading: every look finds progress.
            written += 1
            return written
        }
        var skipUpTo: [String: StreamPosition] = [:]
        var frames: [SharedBytes] = []
        var closed = false
        let onFrame: () -> Void
        init(loop: EventLoop, onFrame: @escaping () -> Void = {}) {
            self.loop = loop
            self.onFrame = onFrame
        }
        func sendFrame(_ frame: SharedBytes) {
            frames.append(frame)
            onFrame()
        }
        func closeSlowConsumer() { closed = true }
    }

    var group: EventLoopGroup!
    var loop: EventLoop { group.loops[0] }

    override func setUp() {
        group = try! EventLoopGroup(count: 1)
        group.start()
    }

    override func tearDown() { group.stopAndJoin() }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        let done = expectation(description: "loop")
        loop.execute {
            body()
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
    }

    private func fanout(_ configure: (inout HubSettings) -> Void = { _ in }) -> HubFanout {
        var settings = HubSettings()
        settings.batchWindowMs = 0
        configure(&settings)
        return HubFanout(settings: settings, loops: group.loops)
    }

    func testEveryBatchReachesEverySubscriberAsTheSameBytes() {
        let hub = fanout()
        let delivered = expectation(description: "both subscribers got the frame")
        delivered.expectedFulfillmentCount = 2
        let exact = Subscriber(loop: loop) { delivered.fulfill() }
        let everything = Subscriber(loop: loop) { delivered.fulfill() }
        onLoop {
            _ = hub.subscribe(exact, patterns: [TopicPattern("t")!], since: [:])
            _ = hub.subscribe(everything, patterns: [TopicPattern("*", allowingAll: true)!], since: [:])
        }
        hub.publish(topic: "t", type: "x", data: Array("1".utf8))
        wait(for: [delivered], timeout: 5)
        onLoop {}
        XCTAssertEqual(exact.frames.count, 1)
        XCTAssertTrue(exact.frames.first === everything.frames.first, "one SharedBytes queued to every subscriber, no copy")
    }

    func testASubscriberOverItsBufferIsClosedAsASlowConsumer() {
        let hub = fanout { $0.maxConnectionBuffer = 1000 }
        let sub = Subscriber(loop: loop)
        let s = sub
        onLoop {
            _ = hub.subscribe(s, patterns: [TopicPattern("t")!], since: [:])
            s.queuedBytes = 990
        }
        hub.publish(topic: "t", type: "x", data: Array("1".utf8))
        let closed = XCTNSPredicateExpectation(predicate: NSPredicate { _, _ in hub.counters.slowConsumerCloses.load(ordering: .relaxed) == 1 }, object: nil)
        wait(for: [closed], timeout: 5)
        onLoop {}
        XCTAssertTrue(sub.closed)
        XCTAssertTrue(sub.frames.isEmpty)
    }

    func testExternalPublishesAreRefusedWhileReadingSubscribersAreBehindAndAcceptedAfter() {
        let hub = fanout { $0.maxBacklogBytes = 1 << 16; $0.maxConnectionBuffer = 1 << 30 }
        let sub = Subscriber(loop: loop)
        let s = sub
        onLoop {
            _ = hub.subscribe(s, patterns: [TopicPattern("t")!], since: [:])
            s.queuedBytes = 1 << 20
        }
        XCTAssertEqual(hub.publish([OutgoingEvent(topic: "t", type: "x", data: Array("1".utf8))], as: .external), .published([1]))
        let overloaded = XCTNSPredicateExpectation(predicate: NSPredicate { _, _ in hub.isOverloaded }, object: nil)
        wait(for: [overloaded], timeout: 5)
        XCTAssertEqual(hub.publish([OutgoingEvent(topic: "t", type: "x", data: Array("2".utf8))], as: .external), .overloaded(retryAfterSeconds: 1))
        XCTAssertEqual(hub.counters.publishesRefused.load(ordering: .relaxed), 1)

        // An internal publisher (this thread is not a loop) waits until the next sweep finds the
        // subscriber caught up.
        onLoop { s.queuedBytes = 0 }
        hub.awaitCapacity()
        XCTAssertFalse(hub.isOverloaded)
        XCTAssertEqual(hub.counters.publishesDelayed.load(ordering: .relaxed), 1)
        XCTAssertEqual(hub.publish([OutgoingEvent(topic: "t", type: "x", data: Array("3".utf8))], as: .external), .published([2]))
    }
}
