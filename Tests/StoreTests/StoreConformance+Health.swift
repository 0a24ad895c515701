// Conformance: what the health checks and metrics read.
import Store
import XCTest

extension StoreConformance {
    func healthProbeReadsBackWhatWasWritten() throws {
        try run { store in
            XCTAssertNil(try answer { store.readProbe(completion: $0) })
            try answer { store.writeProbe("one", completion: $0) }
            XCTAssertEqual(try answer { store.readProbe(completion: $0) }, "one")
            try answer { store.writeProbe("two", completion: $0) }
            XCTAssertEqual(try answer { store.readProbe(completion: $0) }, "two")
            XCTAssertGreaterThan(store.statistics.commits, 0, "the probe's writes were committed")
            XCTAssertGreaterThanOrEqual(store.statistics.queuedWrites, 0)
        }
    }

    func outboxDepthCountsUnfinishedAndFailedRows() throws {
        try run { store in
            XCTAssertEqual(try answer { store.outboxDepth(nowMs: 1, completion: $0) },
                           OutboxDepth(active: 0, failed: 0, oldestActiveAgeMs: nil))
            try Self.enqueue(Self.outbound("a", to: "A"), at: 1_000, in: store)
            try Self.enqueue(Self.outbound("b", to: "B"), at: 2_000, in: store)
            try Self.enqueue(Self.outbound("c", to: "C"), at: 3_000, in: store)
            XCTAssertTrue(try answer {
                store.markFailed(id: "a", attempts: 1, lastError: "{}", errorJSON: "[]", nowMs: 3_000, completion: $0)
            })
            XCTAssertTrue(try answer {
                store.markSent(id: "c", wamid: "wamid.C", attempts: 1, nowMs: 3_000, inSameTransaction: nil, completion: $0)
            })
            XCTAssertEqual(try answer { store.outboxDepth(nowMs: 5_000, completion: $0) },
                           OutboxDepth(active: 1, failed: 1, oldestActiveAgeMs: 3_000, byStatus: ["queued": 1, "failed": 1, "sent": 1]))
        }
    }
}
