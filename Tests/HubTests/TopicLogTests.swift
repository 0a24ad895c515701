import XCTest
import JSON
@testable import Hub

final class TopicLogTests: XCTestCase {
    private func log(max: Int = 1000, ttlMs: Int64 = 600_000) -> TopicLog {
        TopicLog(limits: HistoryLimits(maxEvents: max, ttlMs: ttlMs), epoch: "ep")
    }

    private func fill(_ log: inout TopicLog, count: Int, startMs: Int64 = 0, stepMs: Int64 = 1) {
        for i in 0..<count {
            _ = log.append(type: "t", data: Array("\(i)".utf8), nowMs: startMs + Int64(i) * stepMs)
        }
    }

    private func seqs(_ r: Recovery) -> [Int64]? {
        if case let .replay(events) = r { return events.map(\.seq) }
        return nil
    }

    func testSequenceStartsAtOneAndEventsAreEncoded() throws {
        var l = log()
        XCTAssertEqual(l.currentSeq, 0)
        let e = l.append(type: "message.sent", data: Array(#"{"x":1}"#.utf8), nowMs: 77)
        XCTAssertEqual(e.seq, 1)
        XCTAssertEqual(e.ts, 77)
        XCTAssertEqual(l.currentSeq, 1)
        XCTAssertEqual(l.append(type: "t", data: Array("2".utf8), nowMs: 78).seq, 2)
        XCTAssertEqual(try JSONParser.parse(e.bytes)["data"]?["x"]?.intValue, 1)
    }

    func testRandomEpochsDiffer() {
        XCTAssertNotEqual(TopicLog().epoch, TopicLog().epoch)
        XCTAssertEqual(TopicLog().epoch.utf8.count, 16)
    }

    func testInEpochReplayAndExactBoundary() {
        var l = log()
        fill(&l, count: 5)
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 2), nowMs: 10)), [3, 4, 5])
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 0), nowMs: 10)), [1, 2, 3, 4, 5])
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 5), nowMs: 10)), [])
        XCTAssertEqual(seqs(log().recover(since: (epoch: "ep", seq: 0), nowMs: 0)), [])
    }

    func testGapAfterEvictionByCount() {
        var l = log(max: 3)
        fill(&l, count: 10)  // holds 8, 9, 10
        XCTAssertEqual(l.historyCount, 3)
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 7), nowMs: 10)), [8, 9, 10], "exactly at the edge of history")
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: 6), nowMs: 10), .notRecovered(epoch: "ep", seq: 10), "seq 7 is gone")
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: 0), nowMs: 10), .notRecovered(epoch: "ep", seq: 10))
    }

    func testGapAfterEvictionByTTL() {
        var l = log(ttlMs: 100)
        fill(&l, count: 5, startMs: 0, stepMs: 50)  // ts 0, 50, 100, 150, 200
        // At 240 the events at ts 0, 50, 100 (older than 100 ms) no longer count.
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 3), nowMs: 240)), [4, 5])
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: 2), nowMs: 240), .notRecovered(epoch: "ep", seq: 5))
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 2), nowMs: 200)), [3, 4, 5])
        // A client that missed nothing is fine even when all history has expired.
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 5), nowMs: 10_000)), [])
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: 4), nowMs: 10_000), .notRecovered(epoch: "ep", seq: 5))
        // Appending evicts expired events for good.
        _ = l.append(type: "t", data: Array("6".utf8), nowMs: 10_000)
        XCTAssertEqual(l.historyCount, 1)
    }

    func testOtherEpochAndFutureAndNegativePositions() {
        var l = log()
        fill(&l, count: 3)
        XCTAssertEqual(l.recover(since: (epoch: "old", seq: 1), nowMs: 5), .notRecovered(epoch: "ep", seq: 3))
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: 4), nowMs: 5), .notRecovered(epoch: "ep", seq: 3))
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: .max), nowMs: 5), .notRecovered(epoch: "ep", seq: 3))
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: -1), nowMs: 5), .notRecovered(epoch: "ep", seq: 3))
    }

    func testZeroHistoryKeepsNothingButCountsOn() {
        var l = log(max: 0)
        fill(&l, count: 3)
        XCTAssertEqual(l.historyCount, 0)
        XCTAssertEqual(l.currentSeq, 3)
        XCTAssertEqual(l.recover(since: (epoch: "ep", seq: 2), nowMs: 5), .notRecovered(epoch: "ep", seq: 3))
    }

    func testRingWrapsManyTimes() {
        var l = log(max: 17)
        fill(&l, count: 200)
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 190), nowMs: 200)), Array(191...200))
        XCTAssertEqual(seqs(l.recover(since: (epoch: "ep", seq: 183), nowMs: 200)), Array(184...200))
    }

    func testLimitsFromEnvironment() {
        XCTAssertEqual(HistoryLimits.fromEnvironment([:]), HistoryLimits(maxEvents: 1000, ttlMs: 600_000))
        XCTAssertEqual(HistoryLimits.fromEnvironment(["SWITCHBOARD_HISTORY_MAX": "50", "SWITCHBOARD_HISTORY_TTL_S": "30"]),
                       HistoryLimits(maxEvents: 50, ttlMs: 30_000))
        XCTAssertEqual(HistoryLimits.fromEnvironment(["SWITCHBOARD_HISTORY_MAX": "-1", "SWITCHBOARD_HISTORY_TTL_S": "x"]),
                       HistoryLimits())
        XCTAssertEqual(HistoryLimits.fromEnvironment(["SWITCHBOARD_HISTORY_TTL_S": "9223372036854775807"]).ttlMs, .max)
    }
}
