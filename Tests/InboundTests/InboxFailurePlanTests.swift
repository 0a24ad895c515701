// What the inbox worker asks the store to do with a row whose apply failed: retry with the
// backoff policy's delay, or dead-letter (at once for an undecodable body, else after the last
// attempt).
import Store
import XCTest
@testable import Inbound

final class InboxFailurePlanTests: XCTestCase {
    private let policy = InboxProcessor.retryPolicy(maxAttempts: 5)
    private let now: Int64 = 1_000_000

    private func row(attempts: Int) -> InboxRow {
        InboxRow(id: 7, receivedAtMs: 1, body: [], signature: nil, correlationID: "c", status: "processing",
                 attempts: attempts, nextAttemptAtMs: 1, lastError: nil)
    }

    private struct ApplyError: Error, CustomStringConvertible {
        var description: String { "constraint" }
    }

    func testAnUndecodableBodyIsDeadLetteredOnItsFirstAttempt() {
        let failure = InboxProcessor.DecodeFailure(reason: "invalid_json: not JSON")
        XCTAssertEqual(InboxProcessor.failurePlan(row: row(attempts: 0), error: failure, policy: policy, nowMs: now),
                       .deadLetter(reason: "invalid_json: not JSON"))
    }

    func testApplyFailuresRetryWithDoublingDelaysUntilTheLastAttempt() {
        let plans = (0..<5).map { attempts in
            InboxProcessor.failurePlan(row: row(attempts: attempts), error: ApplyError(), policy: policy, nowMs: now)
        }
        XCTAssertEqual(plans, [
            .retry(atMs: now + 1_000, reason: "apply failed: constraint"),
            .retry(atMs: now + 2_000, reason: "apply failed: constraint"),
            .retry(atMs: now + 4_000, reason: "apply failed: constraint"),
            .retry(atMs: now + 8_000, reason: "apply failed: constraint"),
            .deadLetter(reason: "apply failed: constraint"),
        ])
    }

    func testTheDelayIsCappedAtFiveMinutes() {
        let late = InboxProcessor.failurePlan(row: row(attempts: 20), error: ApplyError(),
                                              policy: InboxProcessor.retryPolicy(maxAttempts: 100), nowMs: now)
        XCTAssertEqual(late, .retry(atMs: now + 300_000, reason: "apply failed: constraint"))
    }
}
