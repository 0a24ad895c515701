import XCTest
@testable import Hub

/// Events sequenced by a backplane: order, duplicates, holes, new epochs, and recovery from what
/// was ingested. No loops, threads or sleeps: the clock is a value.
final class IngestTests: XCTestCase {
    private func event(_ seq: Int64, _ ts: Int64 = 1_000_000) -> EncodedEvent {
        EncodedEvent(seq: seq, ts: ts, encoded: EncodedEvent(seq: seq, type: "x", ts: ts, data: Array("{}".utf8)).bytes)
    }

    func testInOrderEventsAreBatchedDuplicatesDroppedHolesReported() {
        let clock = FakeClock()
        let core = HubCore.testing(clock)
        let sink = RecordingSink()
        XCTAssertEqual(core.ingest(topic: "inbox", epoch: "E", event: event(5), to: sink), .appended(flush: .after(ms: 10)),
                       "a topic first seen mid-stream starts at the event")
        XCTAssertEqual(core.ingest(topic: "inbox", epoch: "E", event: event(6), to: sink), .appended(flush: nil))
        XCTAssertEqual(core.ingest(topic: "inbox", epoch: "E", event: event(6), to: sink), .duplicate)
        XCTAssertEqual(core.ingest(topic: "inbox", epoch: "E", event: event(9), to: sink), .hole(after: 6))
        core.flush("inbox", to: sink)
        XCTAssertEqual(sink.frames.count, 1)
        XCTAssertEqual(sink.frames[0].lastSeq, 6)
        XCTAssertEqual(sink.frames[0].epoch, "E")
        XCTAssertEqual(core.localPosition(of: "inbox"), StreamPosition(epoch: "E", seq: 6))
        XCTAssertTrue(sink.payload(0).contains(#""seq":5"#) && sink.payload(0).contains(#""seq":6"#))
    }

    func testNewEpochFlushesTheOldAndRestartsAtTheEvent() {
        let core = HubCore.testing(FakeClock())
        let sink = RecordingSink()
        _ = core.ingest(topic: "t", epoch: "old", event: event(1), to: sink)
        XCTAssertEqual(core.ingest(topic: "t", epoch: "new", event: event(1), to: sink), .appended(flush: nil),
                       "the timer armed for the old event is still due and flushes the new one")
        XCTAssertEqual(sink.frames.map(\.epoch), ["old"], "the old epoch's pending event went out first")
        core.flush("t", to: sink)
        XCTAssertEqual(sink.frames.map(\.epoch), ["old", "new"])
        XCTAssertEqual(core.localPosition(of: "t"), StreamPosition(epoch: "new", seq: 1))
    }

    func testAlignMovesOnlyForward() {
        let core = HubCore.testing(FakeClock())
        let sink = RecordingSink()
        XCTAssertTrue(core.align(topic: "t", epoch: "E", seq: 0, to: sink))
        XCTAssertEqual(core.position(of: "t"), StreamPosition(epoch: "E", seq: 0))
        XCTAssertFalse(core.align(topic: "t", epoch: "E", seq: 0, to: sink))
        XCTAssertTrue(core.align(topic: "t", epoch: "E", seq: 7, to: sink))
        XCTAssertEqual(core.ingest(topic: "t", epoch: "E", event: event(8), to: sink), .appended(flush: .after(ms: 10)))
        XCTAssertFalse(core.align(topic: "t", epoch: "E", seq: 3, to: sink), "never backwards")
        XCTAssertEqual(core.localPosition(of: "t"), StreamPosition(epoch: "E", seq: 8))
    }

    func testIngestedHistoryRecoversLikeLocalHistory() {
        let core = HubCore.testing(FakeClock())
        let sink = RecordingSink()
        XCTAssertTrue(core.align(topic: "t", epoch: "E", seq: 0, to: sink))
        for s in 1...4 { _ = core.ingest(topic: "t", epoch: "E", event: event(Int64(s)), to: sink) }
        core.flush("t", to: sink)
        let plan = core.plan(patterns: [TopicPattern("t")!], since: ["t": StreamPosition(epoch: "E", seq: 2)], replayBudget: 1 << 20)
        XCTAssertEqual(plan.ack, [SubscribeAckEntry(topic: "t", epoch: "E", seq: 4, recovered: true)])
        XCTAssertEqual(plan.replay.count, 1)
        let text = RecordingSink.payload(plan.replay[0])
        XCTAssertTrue(text.contains(#""seq":3"#) && text.contains(#""seq":4"#) && !text.contains(#""seq":2"#))
    }
}
