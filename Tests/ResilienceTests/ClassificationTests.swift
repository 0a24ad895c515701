// Every Graph error code in errors.json, and each failure shape, gets the documented verdict.

import XCTest

@testable import Resilience

final class ClassificationTests: XCTestCase {
    private func graph(_ code: Int?, status: Int = 400) -> Classification {
        FailureClassifier.classify(.http(status: status, graphCode: code, subcode: nil, title: nil, details: nil))
    }

    func testEveryDocumentedCodeFollowsItsRetryableFlag() {
        XCTAssertEqual(GraphErrors.all.count, 61)
        for info in GraphErrors.all {
            // Try the documented status and a 5xx and a 4xx: the code must win over the status.
            for status in [info.httpStatus ?? 400, 400, 500, 503] {
                let verdict = graph(info.code, status: status)
                XCTAssertEqual(verdict.kind, info.retryable ? .transient : .permanent, "code \(info.code) status \(status)")
                XCTAssertEqual(verdict.code, "graph.\(info.code)")
                XCTAssertEqual(verdict.graphError, info)
            }
        }
    }

    func testTitleNeverDecides() {
        let misleading = FailureClassifier.classify(
            .http(status: 400, graphCode: 131047, subcode: nil, title: "Rate limit hit, please retry", details: "retry"))
        XCTAssertEqual(misleading.kind, .permanent)
        XCTAssertFalse(misleading.description.contains("please retry"))
    }

    func testPairRateLimitIsTransientForTheRecipientOnly() {
        let verdict = graph(131056)
        XCTAssertEqual(verdict.kind, .transient)
        XCTAssertEqual(verdict.scope, .recipient)
        XCTAssertFalse(verdict.raisesCriticalAlert)
    }

    func testThroughputLimitsSlowThePhoneNumber() {
        for code in [130429, 80007, 80008, 4] {
            let verdict = graph(code)
            XCTAssertEqual(verdict.kind, .transient, "code \(code)")
            XCTAssertEqual(verdict.scope, .phoneNumber, "code \(code)")
        }
    }

    func testOperatorProblemsRaiseCriticalAlerts() {
        for code in [190, 131031, 0, 10, 200, 250, 368, 131042] {
            let verdict = graph(code, status: 401)
            XCTAssertEqual(verdict.kind, .permanent, "code \(code)")
            XCTAssertTrue(verdict.raisesCriticalAlert, "code \(code)")
        }
        XCTAssertEqual(graph(250).code, "graph.250")
        XCTAssertEqual(graph(250).graphError?.code, 200)
    }

    func testEveryCriticalAlertCodeIsDocumentedAndPermanent() {
        for code in FailureClassifier.criticalAlertCodes {
            guard let info = GraphErrors.info(code: code) else {
                XCTFail("alert code \(code) is not in errors.json")
                continue
            }
            XCTAssertFalse(info.retryable, "alert code \(code) is retryable")
        }
    }

    func testReEngagementWindowIsPermanentWithoutAlert() {
        let verdict = graph(131047)
        XCTAssertEqual(verdict.kind, .permanent)
        XCTAssertEqual(verdict.scope, .message)
        XCTAssertFalse(verdict.raisesCriticalAlert)
        XCTAssertEqual(verdict.description, "Graph error 131047 (Re-engagement message): Send an approved template instead.")
    }

    func testServerErrorsWithoutAKnownPermanentCodeAreTransient() {
        for status in [500, 502, 503, 504] {
            XCTAssertEqual(graph(nil, status: status).kind, .transient, "status \(status)")
            XCTAssertEqual(graph(nil, status: status).code, "http.\(status)")
            XCTAssertEqual(graph(987_654, status: status).kind, .transient, "unknown code, status \(status)")
        }
        // A documented permanent code stays permanent even with a 5xx.
        XCTAssertEqual(graph(131045, status: 500).kind, .permanent)
        XCTAssertEqual(graph(3, status: 500).kind, .permanent)
    }

    func testUnknownCodesWithA4xxArePermanent() {
        for status in [400, 401, 403, 404, 413] {
            let verdict = graph(987_654, status: status)
            XCTAssertEqual(verdict.kind, .permanent, "status \(status)")
            XCTAssertEqual(verdict.code, "graph.987654")
            XCTAssertFalse(verdict.raisesCriticalAlert)
            XCTAssertNil(verdict.graphError)
        }
        XCTAssertEqual(graph(nil, status: 400).kind, .permanent)
        XCTAssertEqual(graph(-1, status: 400).kind, .permanent)
        XCTAssertEqual(graph(Int.max, status: Int.min).kind, .permanent)
    }

    func testBare429IsTransientThrottling() {
        let verdict = graph(nil, status: 429)
        XCTAssertEqual(verdict.kind, .transient)
        XCTAssertEqual(verdict.scope, .phoneNumber)
    }

    func testTransportErrorsAreTransientAndSanitized() {
        let verdict = FailureClassifier.classify(.transport("Could not resolve host\u{1B}[31m\n" + String(repeating: "x", count: 500)))
        XCTAssertEqual(verdict.kind, .transient)
        XCTAssertEqual(verdict.scope, .message)
        XCTAssertEqual(verdict.code, "transport")
        XCTAssertFalse(verdict.description.contains("\u{1B}"))
        XCTAssertFalse(verdict.description.contains("\n"))
        XCTAssertLessThan(verdict.description.count, 300)
        XCTAssertEqual(FailureClassifier.classify(.transport("")).description, "Transport error before Graph answered: (no detail)")
    }

    func testBothTimeoutsAreTransientAndOnlyTheLateOneMayDuplicate() {
        let early = FailureClassifier.classify(.timeout(afterRequestSent: false))
        let late = FailureClassifier.classify(.timeout(afterRequestSent: true))
        XCTAssertEqual(early.kind, .transient)
        XCTAssertEqual(late.kind, .transient)
        XCTAssertFalse(early.mayHaveBeenDelivered)
        XCTAssertTrue(late.mayHaveBeenDelivered)
        XCTAssertEqual(early.code, "timeout.before_send")
        XCTAssertEqual(late.code, "timeout.after_send")
    }

    func testApiUnknownHasAnAttemptLimitOfThree() {
        XCTAssertEqual(graph(1).attemptLimit, 3)
        XCTAssertNil(graph(2).attemptLimit)
    }
}
