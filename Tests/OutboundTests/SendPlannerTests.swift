// The sender's decisions with a hand-moved clock: order per recipient, pacing, the breaker's
// hold and probe, and the verdict on each kind of Graph answer.
import XCTest
import Resilience
import Store
import WhatsApp
@testable import Outbound
import Server

final class SendPlannerTests: XCTestCase {
    private let second = TimeSpan.nanosecondsPerSecond
    private let ms = TimeSpan.nanosecondsPerMillisecond

    private func row(_ id: String, to: String = "111", phone: String = "900", attempts: Int = 0, seq: Int64 = 1) -> OutboxRow {
        OutboxRow(id: id, messageID: seq, conversationID: 1, toWaID: to, phoneNumberID: phone, payloadJSON: "{}",
                  status: "queued", attempts: attempts, nextAttemptAtMs: 0, wamid: nil, lastError: nil, idempotencyKey: nil,
                  correlationID: "c-\(id)", createdAtMs: 0, updatedAtMs: 0, type: "text", sequence: seq)
    }

    private func settings(_ change: (inout OutboundSettings) -> Void = { _ in }) -> OutboundSettings {
        var s = OutboundSettings()
        s.sendRatePerSecond = 1000
        s.pairIntervalMs = 0
        change(&s)
        return s
    }

    private func at(_ seconds: Double) -> Instant { Instant.zero.adding(seconds: 1000 + seconds) }

    private func http(_ status: Int, code: Int?) -> GraphResult {
        .failure(.http(status: status, graphCode: code, subcode: nil, title: "t", details: "d"), latencyMs: 1, rawBody: nil)
    }

    private static let ok = GraphResult.success(wamid: "wamid.OK", httpStatus: 200, latencyMs: 1)

    // MARK: order per recipient

    func testOneSendInFlightPerRecipientAndOthersGoOn() {
        var planner = SendPlanner(settings: settings(), seed: 1)
        let a1 = row("a1", to: "111"), a2 = row("a2", to: "111", seq: 2), b1 = row("b1", to: "222", seq: 3)
        let first = planner.select([a1, a2, b1], limit: 10, now: at(0))
        XCTAssertEqual(first.rows.map(\.id), ["a1", "b1"], "a2 waits behind a1")
        // While a1 is in flight, even a2 as the only candidate does not go.
        XCTAssertEqual(planner.select([a2], limit: 10, now: at(0.1)).rows.map(\.id), [])
        planner.release(a1)
        XCTAssertEqual(planner.select([a2], limit: 10, now: at(0.2)).rows.map(\.id), ["a2"])
        // The same recipient on another business number is another line.
        XCTAssertEqual(planner.select([row("c1", to: "111", phone: "901")], limit: 10, now: at(0.3)).rows.map(\.id), ["c1"])
    }

    func testLimitBoundsTheSelection() {
        var planner = SendPlanner(settings: settings(), seed: 1)
        let rows = (0..<5).map { row("r\($0)", to: "\($0)", seq: Int64($0)) }
        XCTAssertEqual(planner.select(rows, limit: 2, now: at(0)).rows.map(\.id), ["r0", "r1"])
    }

    // MARK: pacing

    func testPairIntervalSpacesMessagesToOneRecipientAfterTheBurst() {
        var planner = SendPlanner(settings: settings { $0.pairIntervalMs = 6000; $0.pairBurst = 2 }, seed: 1)
        var sent: [Double] = []
        var t = 0.0
        while t < 13.0 {
            let r = row("m\(sent.count)", to: "111")
            let selection = planner.select([r], limit: 1, now: at(t))
            if let picked = selection.rows.first {
                sent.append(t)
                planner.release(picked)
            } else {
                XCTAssertNotNil(selection.lookAgainAfter)
            }
            t += 0.5
        }
        // A burst of two at once, then one every 6 s.
        XCTAssertEqual(sent, [0.0, 0.5, 6.5, 12.5])
    }

    func testPhoneNumberRateLimitsEveryRecipientOfThatNumberOnly() {
        var planner = SendPlanner(settings: settings { $0.sendRatePerSecond = 2 }, seed: 1)
        let rows = (0..<4).map { row("r\($0)", to: "\($0)", seq: Int64($0)) } + [row("other", to: "9", phone: "901", seq: 9)]
        let selection = planner.select(rows, limit: 10, now: at(0))
        // Burst = rate (2) for number 900; number 901 has its own bucket.
        XCTAssertEqual(selection.rows.map(\.id), ["r0", "r1", "other"])
        XCTAssertNotNil(selection.lookAgainAfter)
        XCTAssertLessThanOrEqual(selection.lookAgainAfter ?? .max, 500 * ms)
        for r in selection.rows { planner.release(r) }
        XCTAssertEqual(planner.select(Array(rows[2...3]), limit: 10, now: at(0.5)).rows.map(\.id), ["r2"])
    }

    func testThrottleAnswerSlowsThePhoneNumber() {
        var planner = SendPlanner(settings: settings { $0.sendRatePerSecond = 100 }, seed: 1)
        let r = row("r0")
        _ = planner.select([r], limit: 1, now: at(0))
        let (outcome, _) = planner.outcome(of: http(400, code: 130429), row: r, attemptsBefore: 0, now: at(0.01))
        guard case .retry(1, let after, let error) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertGreaterThanOrEqual(after, second, "waits at least the governor's pause")
        XCTAssertEqual(error.graphCode, 130429)
        planner.release(r)
        XCTAssertEqual(planner.select([row("x", to: "5")], limit: 1, now: at(0.5)).rows.count, 0, "number paused")
        XCTAssertEqual(planner.select([row("y", to: "6", phone: "901")], limit: 1, now: at(0.5)).rows.count, 1, "other number goes on")
        XCTAssertEqual(planner.select([row("x", to: "5")], limit: 1, now: at(1.2)).rows.count, 1)
    }

    func testPairRateLimitBacksOffThatRecipientFourToTheN() {
        var planner = SendPlanner(settings: settings { $0.pairIntervalMs = 1 }, seed: 1)
        let r = row("r0")
        var delays: [Nanoseconds] = []
        for n in 0..<3 {
            _ = planner.select([r], limit: 1, now: at(Double(n) * 100))
            let (outcome, _) = planner.outcome(of: http(400, code: 131056), row: r, attemptsBefore: n, now: at(Double(n) * 100))
            guard case .retry(_, let after, _) = outcome else { return XCTFail("\(outcome)") }
            delays.append(after)
            planner.release(r)
        }
        XCTAssertGreaterThanOrEqual(delays[0], 1 * second)
        XCTAssertGreaterThanOrEqual(delays[1], 4 * second)
        XCTAssertGreaterThanOrEqual(delays[2], 16 * second)
        // The recipient is blocked, others are not.
        XCTAssertEqual(planner.select([r], limit: 1, now: at(201)).rows.count, 0)
        XCTAssertEqual(planner.select([row("o", to: "222")], limit: 1, now: at(201)).rows.count, 1)
    }

    // MARK: verdicts

    func testSuccessIsSent() {
        var planner = SendPlanner(settings: settings(), seed: 1)
        let (outcome, transition) = planner.outcome(of: Self.ok, row: row("a"), attemptsBefore: 2, now: at(0))
        XCTAssertEqual(outcome, .sent(wamid: "wamid.OK", attempts: 3))
        XCTAssertNil(transition)
    }

    func testPermanentCodeFailsAtOnceWithCodeAndTitle() {
        var planner = SendPlanner(settings: settings(), seed: 1)
        let (outcome, _) = planner.outcome(of: http(400, code: 131047), row: row("a"), attemptsBefore: 0, now: at(0))
        guard case .failed(1, "permanent", let error, false) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(error.graphCode, 131047)
        XCTAssertEqual(error.reason, "graph.131047")
        XCTAssertEqual(error.kind, .permanent)
        XCTAssertEqual(error.details, "d")
        XCTAssertFalse(error.title.isEmpty)
    }

    func testTokenAndLockedAccountRaiseACriticalAlert() {
        for code in [190, 131031] {
            var planner = SendPlanner(settings: settings(), seed: 1)
            let (outcome, _) = planner.outcome(of: http(401, code: code), row: row("a"), attemptsBefore: 0, now: at(0))
            guard case .failed(_, _, let error, true) = outcome else { return XCTFail("\(code): \(outcome)") }
            XCTAssertEqual(error.graphCode, code)
        }
    }

    func testTransientFailuresRetryWithBoundedJitterThenFail() {
        var planner = SendPlanner(settings: settings { $0.sendMaxAttempts = 3; $0.breakerEnabled = false }, seed: 7)
        let r = row("a")
        for attempts in 0..<2 {
            let (outcome, _) = planner.outcome(of: http(500, code: nil), row: r, attemptsBefore: attempts, now: at(0))
            guard case .retry(let n, let after, let error) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(n, attempts + 1)
            XCTAssertLessThanOrEqual(after, 500 * ms << UInt64(attempts), "full jitter stays under base*2^n")
            XCTAssertEqual(error.reason, "http.500")
        }
        let (last, _) = planner.outcome(of: http(500, code: nil), row: r, attemptsBefore: 2, now: at(0))
        guard case .failed(3, "attempts_exhausted", _, false) = last else { return XCTFail("\(last)") }
    }

    func testTimeoutsAndTransportErrorsAreRetried() {
        var planner = SendPlanner(settings: settings(), seed: 1)
        for failure in [SendFailure.timeout(afterRequestSent: true), .timeout(afterRequestSent: false), .transport("reset")] {
            let (outcome, _) = planner.outcome(of: .failure(failure, latencyMs: 1, rawBody: nil), row: row("a"), attemptsBefore: 0, now: at(0))
            guard case .retry(1, _, _) = outcome else { return XCTFail("\(failure): \(outcome)") }
        }
    }

    func testRetriesOffFailsTransientFailuresAtOnce() {
        var planner = SendPlanner(settings: settings { $0.retriesEnabled = false }, seed: 1)
        let (outcome, _) = planner.outcome(of: http(500, code: nil), row: row("a"), attemptsBefore: 0, now: at(0))
        guard case .failed(1, "retries_disabled", _, false) = outcome else { return XCTFail("\(outcome)") }
    }

    // MARK: breaker

    func testBreakerOpensHoldsEverythingThenProbesOnceAndCloses() {
        var planner = SendPlanner(settings: settings { $0.breakerFailures = 3; $0.breakerOpenSeconds = 10 }, seed: 1)
        var transitions: [BreakerTransition] = []
        for i in 0..<3 {
            let r = row("f\(i)", to: "\(i)")
            _ = planner.select([r], limit: 1, now: at(Double(i)))
            let (_, t) = planner.outcome(of: http(503, code: nil), row: r, attemptsBefore: 0, now: at(Double(i)))
            if let t { transitions.append(t) }
            planner.release(r)
        }
        XCTAssertEqual(transitions.map { "\($0.from.name)->\($0.to.name)" }, ["closed->open"])
        XCTAssertEqual(transitions.first?.reason, .consecutiveFailures)

        let waiting = (0..<3).map { row("w\($0)", to: "\($0)", seq: Int64(10 + $0)) }
        let held = planner.select(waiting, limit: 10, now: at(5))
        XCTAssertEqual(held.rows.count, 0, "nothing goes while open")
        XCTAssertEqual(held.lookAgainAfter, 7 * second, "open until 2 s + 10 s")

        let probe = planner.select(waiting, limit: 10, now: at(12))
        XCTAssertEqual(probe.rows.map(\.id), ["w0"], "one probe, the oldest")
        XCTAssertEqual(probe.transitions.map(\.to), [.halfOpen])
        XCTAssertEqual(planner.select(Array(waiting[1...]), limit: 10, now: at(12.1)).rows.count, 0, "others wait for the probe")

        let (_, closed) = planner.outcome(of: Self.ok, row: waiting[0], attemptsBefore: 0, now: at(12.2))
        XCTAssertEqual(closed?.to, .closed)
        planner.release(waiting[0])
        XCTAssertEqual(planner.select(Array(waiting[1...]), limit: 10, now: at(12.3)).rows.map(\.id), ["w1", "w2"], "in order after recovery")
    }

    func testFailedProbeReopensForLongerAndExhaustedMessagesAreHeldNotFailed() {
        var planner = SendPlanner(settings: settings { $0.breakerFailures = 1; $0.breakerOpenSeconds = 10; $0.sendMaxAttempts = 1 }, seed: 1)
        let r = row("a")
        _ = planner.select([r], limit: 1, now: at(0))
        let (first, trip) = planner.outcome(of: http(500, code: nil), row: r, attemptsBefore: 0, now: at(0))
        XCTAssertEqual(trip?.to, .open)
        guard case .retry(1, let hold, _) = first else { return XCTFail("held for the breaker, not failed: \(first)") }
        XCTAssertEqual(hold, 10 * second)
        planner.release(r)

        XCTAssertEqual(planner.select([r], limit: 1, now: at(10)).rows.count, 1)
        let (second, reopen) = planner.outcome(of: .failure(.timeout(afterRequestSent: true), latencyMs: 1, rawBody: nil),
                                               row: r, attemptsBefore: 1, now: at(11))
        XCTAssertEqual(reopen?.from, .halfOpen)
        XCTAssertEqual(reopen?.to, .open)
        XCTAssertEqual(reopen?.reason, .probeFailed)
        guard case .retry(2, let longer, _) = second else { return XCTFail("\(second)") }
        XCTAssertEqual(longer, 20 * self.second, "second trip doubles the open time")
    }

    func testPermanentFailuresDoNotOpenTheBreaker() {
        var planner = SendPlanner(settings: settings { $0.breakerFailures = 2 }, seed: 1)
        for i in 0..<5 {
            let (_, t) = planner.outcome(of: http(400, code: 131047), row: row("p\(i)", to: "\(i)"), attemptsBefore: 0, now: at(Double(i)))
            XCTAssertNil(t)
        }
        XCTAssertEqual(planner.breaker.state, .closed)
    }

    func testBreakerOffNeverHolds() {
        var planner = SendPlanner(settings: settings { $0.breakerFailures = 1; $0.breakerEnabled = false }, seed: 1)
        let (_, t) = planner.outcome(of: http(500, code: nil), row: row("a"), attemptsBefore: 0, now: at(0))
        XCTAssertNil(t)
        XCTAssertEqual(planner.select([row("b", to: "2")], limit: 1, now: at(0)).rows.count, 1)
    }

    // MARK: request parsing

    func testRequestValidationNamesTheField() {
        func parse(_ json: String, key: String? = nil, phone: String? = "900") -> Result<OutboundRequest, APIError> {
            OutboundRequest.parse(body: Array(json.utf8), defaultPhoneNumberID: phone, idempotencyKey: key)
        }
        let long = String(repeating: "x", count: 4097)
        let cases: [(String, String)] = [
            (#"{"to":"1","type":"text","text":{"body":"\#(long)"}}"#, "text.body: "),
            (#"{"to":"1","type":"text","text":{}}"#, "text.body: "),
            (#"{"to":"abc","type":"text","text":{"body":"x"}}"#, "to: "),
            (#"{"type":"text","text":{"body":"x"}}"#, "to: "),
            (#"{"to":"1","type":"fax","fax":{}}"#, "type: "),
            (#"{"to":"1","type":"text","text":{"body":"x"},"phone_number_id":"12a"}"#, "phone_number_id: "),
            (#"{"to":"1","type":"text""#, "$: "),
        ]
        for (body, prefix) in cases {
            guard case .failure(let e) = parse(body) else { XCTFail("accepted \(body.prefix(60))"); continue }
            XCTAssertEqual(e.status, 400)
            XCTAssertTrue(e.message.hasPrefix(prefix), "\(e.message) should start with \(prefix)")
        }
        guard case .failure(let noPhone) = parse(#"{"to":"1","type":"text","text":{"body":"x"}}"#, phone: nil) else { return XCTFail() }
        XCTAssertTrue(noPhone.message.hasPrefix("phone_number_id: "))
        guard case .failure(let badKey) = parse(#"{"to":"1","type":"text","text":{"body":"x"}}"#, key: "a b") else { return XCTFail() }
        XCTAssertTrue(badKey.message.hasPrefix("Idempotency-Key: "))

        guard case .success(let ok) = parse(#"{"to":"+4912","type":"text","text":{"body":"hi"},"phone_number_id":"777"}"#, key: "k")
        else { return XCTFail() }
        XCTAssertEqual(ok.message.to, "4912")
        XCTAssertEqual(ok.phoneNumberID, "777")
        XCTAssertEqual(ok.idempotencyKey, "k")
        XCTAssertEqual(ok.preview, "hi")
    }
}
