import XCTest
@testable import Hub

/// The hub core with a fake clock and a recording sink: seqs, windows (time and size), positions
/// at subscribe, recovery and its buffer bound, and idle topics dropped and restarted under a new
/// epoch.
final class HubCoreTests: XCTestCase {
    let clock = FakeClock()
    let sink = RecordingSink()

    func testFirstEventOfAWindowAsksForTheTimerAndTheFlushSendsOneFrameForAll() {
        let core = HubCore.testing(clock) { $0.batchWindowMs = 10 }
        XCTAssertEqual(core.publish("t", "1", to: sink), PublishReceipt(seq: 1, flush: .after(ms: 10)))
        XCTAssertEqual(core.publish("t", "2", to: sink), PublishReceipt(seq: 2, flush: nil))
        XCTAssertTrue(sink.frames.isEmpty, "nothing leaves before the window closes")
        core.flush("t", to: sink)
        XCTAssertEqual(sink.frames.count, 1)
        XCTAssertEqual(sink.frames[0].events, 2)
        XCTAssertEqual(sink.frames[0].lastSeq, 2)
        XCTAssertTrue(sink.payload(0).hasPrefix(#"{"op":"batch","topic":"t""#), sink.payload(0))
        // The next event opens a new window.
        XCTAssertEqual(core.publish("t", "3", to: sink).flush, .after(ms: 10))
    }

    func testWindowZeroFlushesAtTheEndOfTheTurn() {
        let core = HubCore.testing(clock) { $0.batchWindowMs = 0 }
        XCTAssertEqual(core.publish("t", "1", to: sink).flush, .endOfTurn)
        XCTAssertNil(core.publish("t", "2", to: sink).flush)
    }

    func testAFullSizeWindowFlushesAtOnceWithoutATimer() {
        let core = HubCore.testing(clock) { $0.batchMaxEvents = 3 }
        core.publish("t", "1", to: sink)
        core.publish("t", "2", to: sink)
        XCTAssertTrue(sink.frames.isEmpty)
        XCTAssertNil(core.publish("t", "3", to: sink).flush)
        XCTAssertEqual(sink.frames.map(\.lastSeq), [3])
        // The armed timer finds nothing left to send.
        core.flush("t", to: sink)
        XCTAssertEqual(sink.frames.count, 1)
    }

    func testTopicsHaveTheirOwnSeqsAndEventsCarryTheClock() {
        let core = HubCore.testing(clock)
        core.publish("a", "1", to: sink)
        clock.advance(5)
        XCTAssertEqual(core.publish("b", "1", to: sink).seq, 1)
        XCTAssertEqual(core.publish("a", "2", to: sink).seq, 2)
        core.flush("b", to: sink)
        XCTAssertTrue(sink.payload(0).contains(#""ts":1000005"#), sink.payload(0))
    }

    func testFlushAllMakesEverythingPendingHistoryNotLive() {
        let core = HubCore.testing(clock)
        core.publish("system.health", "health.changed", to: sink)  // published while starting
        core.publish("other", "x", to: sink)
        core.flushAll(to: sink)
        XCTAssertEqual(Set(sink.frames.map(\.topic)), ["system.health", "other"])
        // A client that subscribes afterwards starts after it (nothing of it reaches it live)...
        let plan = core.plan(patterns: [TopicPattern("system.health")!], since: [:], replayBudget: 1 << 20)
        XCTAssertEqual(plan.ack.first?.seq, 1)
        // ...and flushing again sends nothing twice.
        core.flushAll(to: sink)
        XCTAssertEqual(sink.frames.count, 2)
    }

    func testSubscribeWithoutSinceStartsAtTheLastFlushedSeq() {
        let core = HubCore.testing(clock)
        core.publish("t", "1", to: sink)
        core.flush("t", to: sink)
        core.publish("t", "2", to: sink)  // pending: reaches the new subscriber live
        let plan = core.plan(patterns: [TopicPattern("t")!], since: [:], replayBudget: 1 << 20)
        let epoch = sink.frames[0].epoch
        XCTAssertEqual(plan.ack, [SubscribeAckEntry(topic: "t", epoch: epoch, seq: 1)])
        XCTAssertEqual(plan.deliveredUpTo["t"], StreamPosition(epoch: epoch, seq: 1))
        XCTAssertTrue(plan.replay.isEmpty)
    }

    func testSinceReplaysTheFlushedEventsAfterItAndLeavesPendingOnesToTheLiveFrame() {
        let core = HubCore.testing(clock)
        for i in 1...4 { core.publish("t", "\(i)", to: sink) }
        core.flush("t", to: sink)
        core.publish("t", "5", to: sink)
        let epoch = sink.frames[0].epoch
        let plan = core.plan(patterns: [TopicPattern("t")!], since: ["t": StreamPosition(epoch: epoch, seq: 2)], replayBudget: 1 << 20)
        XCTAssertEqual(plan.ack, [SubscribeAckEntry(topic: "t", epoch: epoch, seq: 4, recovered: true)])
        XCTAssertEqual(plan.replay.count, 1)
        let replayed = RecordingSink.payload(plan.replay[0])
        XCTAssertTrue(replayed.contains(#""seq":3"#) && replayed.contains(#""seq":4"#), replayed)
        XCTAssertFalse(replayed.contains(#""seq":2"#) || replayed.contains(#""seq":5"#), replayed)
        XCTAssertEqual(core.counters.recoveries.load(ordering: .relaxed), 1)
    }

    func testAnOldEpochIsNotRecovered() {
        let core = HubCore.testing(clock)
        core.publish("t", "1", to: sink)
        core.flush("t", to: sink)
        let plan = core.plan(patterns: [TopicPattern("t")!], since: ["t": StreamPosition(epoch: "gone", seq: 0)], replayBudget: 1 << 20)
        XCTAssertEqual(plan.ack.first?.recovered, false)
        XCTAssertTrue(plan.replay.isEmpty)
    }

    func testSinceUnderAWildcardPositionsTheConcreteTopic() {
        let core = HubCore.testing(clock)
        core.publish("conversation.1", "1", to: sink)
        core.flush("conversation.1", to: sink)
        let epoch = sink.frames[0].epoch
        let plan = core.plan(patterns: [TopicPattern("conversation.*")!],
                             since: ["conversation.1": StreamPosition(epoch: epoch, seq: 0), "other": StreamPosition(epoch: epoch, seq: 0)],
                             replayBudget: 1 << 20)
        XCTAssertEqual(plan.ack.count, 2, "the wildcard line and the one concrete topic it covers")
        XCTAssertTrue(plan.ack[0].wildcard)
        XCTAssertEqual(plan.ack[1], SubscribeAckEntry(topic: "conversation.1", epoch: epoch, seq: 1, recovered: true))
        XCTAssertEqual(plan.replay.count, 1)
    }

    /// Regression: replayed history used to be queued whatever the connection's buffer held, so a
    /// reconnect could queue far more than the slow-consumer bound. A replay that does not fit
    /// the budget is refused (`recovered:false`, reload over REST) instead.
    func testAReplayThatDoesNotFitTheConnectionBufferIsNotRecovered() {
        let core = HubCore.testing(clock)
        for i in 1...10 { core.publish("big", String(repeating: "9", count: 100 + i), to: sink) }
        core.flush("big", to: sink)
        let epoch = sink.frames[0].epoch
        let since = ["big": StreamPosition(epoch: epoch, seq: 0)]
        let fits = core.plan(patterns: [TopicPattern("big")!], since: since, replayBudget: 1 << 20)
        XCTAssertEqual(fits.ack.first?.recovered, true)
        let needed = fits.replayBytes

        let refused = core.plan(patterns: [TopicPattern("big")!], since: since, replayBudget: needed - 1)
        XCTAssertEqual(refused.ack, [SubscribeAckEntry(topic: "big", epoch: epoch, seq: 10, recovered: false)])
        XCTAssertTrue(refused.replay.isEmpty)
        XCTAssertEqual(refused.deliveredUpTo["big"], StreamPosition(epoch: epoch, seq: 10), "live frames continue after the refused replay")
        XCTAssertEqual(core.counters.recoveriesOverBuffer.load(ordering: .relaxed), 1)
    }

    func testTheReplayBudgetIsSharedByTheTopicsOfOneSubscribe() {
        let core = HubCore.testing(clock)
        for topic in ["a", "b"] {
            for i in 1...5 { core.publish(topic, String(repeating: "7", count: 50 + i), to: sink) }
            core.flush(topic, to: sink)
        }
        let since = Dictionary(uniqueKeysWithValues: sink.frames.map { ($0.topic, StreamPosition(epoch: $0.epoch, seq: 0)) })
        let one = core.plan(patterns: [TopicPattern("a")!], since: since, replayBudget: 1 << 20).replayBytes
        let plan = core.plan(patterns: [TopicPattern("a")!, TopicPattern("b")!], since: since, replayBudget: one + one / 2)
        XCTAssertEqual(plan.ack.map(\.recovered), [true, false])
        XCTAssertEqual(plan.replayBytes, one)
    }

    func testIdleTopicIsDroppedAndRestartsWithANewEpoch() {
        let core = HubCore.testing(clock) { $0.batchWindowMs = 0 }
        let first = core.plan(patterns: [TopicPattern("t")!], since: [:], replayBudget: 1 << 20)
        for i in 1...3 { core.publish("t", "\(i)", to: sink) }
        core.flush("t", to: sink)
        XCTAssertEqual(sink.frames.last?.lastSeq, 3)

        // Idle past the TTL: history expires and the topic is forgotten.
        clock.advance(61_000)
        core.evictExpired()
        XCTAssertEqual(core.topicCount, 0)
        XCTAssertEqual(core.counters.topicsDropped.load(ordering: .relaxed), 1)

        // Published again: seq restarts under a new epoch, so a subscriber positioned at "seq 3
        // of the old epoch" must not skip it (the fan-out compares epochs).
        XCTAssertEqual(core.publish("t", "4", to: sink).seq, 1)
        core.flush("t", to: sink)
        let restarted = sink.frames.last!
        XCTAssertEqual(restarted.lastSeq, 1)
        XCTAssertNotEqual(restarted.epoch, first.deliveredUpTo["t"]?.epoch)
    }

    func testActiveTopicIsKept() {
        let core = HubCore.testing(clock)
        core.publish("busy", "1", to: sink)
        clock.advance(30_000)
        core.evictExpired()
        XCTAssertEqual(core.topicCount, 1)
        XCTAssertEqual(core.position(of: "busy")?.seq, 1)
    }
}
