import XCTest
@testable import Server

/// The connection lifecycle with a fake clock: every transition, every deadline, and the
/// defects found in review (a stalled body held forever with a zero-delay timer loop; a deferred
/// route that never answers; EOF while a deferred answer is pending).
final class ConnectionLifecycleTests: XCTestCase {
    typealias L = ConnectionLifecycle
    static let s: UInt64 = 1_000_000_000
    let timeouts = L.Timeouts(header: 10 * s, body: 30 * s, idle: 60 * s, deferredResponse: 30 * s,
                              webSocketIdle: 75 * s, webSocketPing: 30 * s)
    let t0: UInt64 = 1_000 * s

    func fresh() -> L {
        var l = L(timeouts: timeouts, nowNs: t0)
        XCTAssertEqual(l.start(), .arm(deadlineNs: t0 + 60 * Self.s))
        return l
    }

    // MARK: idle keep-alive

    func testIdleConnectionClosesAtItsDeadlineAndNotBefore() {
        var l = fresh()
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 59 * Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 60 * Self.s)))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 60 * Self.s)), .init(action: .close, timer: .unchanged))
        XCTAssertEqual(l.state, .closing)
        XCTAssertNil(l.armedDeadlineNs)
    }

    func testKeepAliveAnswerReturnsToIdleWithoutReArmingPerRequest() {
        var l = fresh()
        // A complete request in one read, answered at once: the later idle deadline leaves the
        // armed timer alone (it fires early and is re-armed then).
        XCTAssertEqual(l.handle(.answered(requestKeepAlive: true, nowNs: t0 + 5 * Self.s)), .init(action: .respondKeepingAlive, timer: .unchanged))
        XCTAssertEqual(l.state, .idle(sinceNs: t0 + 5 * Self.s))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 60 * Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 65 * Self.s)))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 65 * Self.s)).action, .close)
    }

    func testAnswerToARequestThatAsksToCloseCloses() {
        var l = fresh()
        XCTAssertEqual(l.handle(.answered(requestKeepAlive: false, nowNs: t0)), .init(action: .respondThenClose, timer: .cancel))
        XCTAssertEqual(l.state, .closing)
        XCTAssertFalse(l.acceptsRequests)
    }

    func testLeadingEmptyLinesKeepTheConnectionIdle() {
        var l = fresh()
        XCTAssertEqual(l.handle(.needMoreInput(.betweenRequests, nowNs: t0 + Self.s)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.state, .idle(sinceNs: t0))
    }

    // MARK: headers

    func testPartialHeadersGet408AtTheHeaderDeadlineCountedFromTheFirstByte() {
        var l = fresh()
        XCTAssertEqual(l.handle(.needMoreInput(.headers, nowNs: t0 + Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 11 * Self.s)))
        XCTAssertEqual(l.state, .readingHeaders(sinceNs: t0 + Self.s))
        // Trickling header bytes does not move the deadline.
        XCTAssertEqual(l.handle(.needMoreInput(.headers, nowNs: t0 + 9 * Self.s)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 11 * Self.s)), .init(action: .respondRequestTimeout(.headers), timer: .unchanged))
        XCTAssertEqual(l.state, .closing)
    }

    // MARK: body (the stalled-body defect)

    func testStalledBodyGets408AtTheBodyDeadline() {
        // 604f184: headers complete, one body byte, then nothing. The idle timer found the
        // connection mid-request, re-armed with zero delay every turn and never closed it.
        var l = fresh()
        XCTAssertEqual(l.handle(.needMoreInput(.body, nowNs: t0 + Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 31 * Self.s)))
        XCTAssertEqual(l.state, .readingBody(sinceNs: t0 + Self.s))
        XCTAssertEqual(l.handle(.needMoreInput(.body, nowNs: t0 + 20 * Self.s)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 31 * Self.s)), .init(action: .respondRequestTimeout(.body), timer: .unchanged))
        XCTAssertEqual(l.state, .closing)
        XCTAssertNil(l.armedDeadlineNs)
    }

    func testBodyDeadlineCountsFromTheEndOfTheHeaders() {
        var l = fresh()
        _ = l.handle(.needMoreInput(.headers, nowNs: t0))
        XCTAssertEqual(l.handle(.needMoreInput(.body, nowNs: t0 + 8 * Self.s)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.state, .readingBody(sinceNs: t0 + 8 * Self.s))
        // The header timer fires first, finds the body phase, and arms for the body deadline.
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 10 * Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 38 * Self.s)))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 38 * Self.s)).action, .respondRequestTimeout(.body))
    }

    func testCompletedBodyIsAnsweredAndTheConnectionIdlesAgain() {
        var l = fresh()
        _ = l.handle(.needMoreInput(.body, nowNs: t0))
        XCTAssertEqual(l.handle(.answered(requestKeepAlive: true, nowNs: t0 + 2 * Self.s)), .init(action: .respondKeepingAlive, timer: .unchanged))
        XCTAssertEqual(l.state, .idle(sinceNs: t0 + 2 * Self.s))
    }

    // MARK: deferred answers

    func testDeferredRequestPausesReadingAndItsAnswerResumesIt() {
        var l = fresh()
        XCTAssertEqual(l.handle(.deferred(nowNs: t0 + Self.s)), .init(action: .pauseReading, timer: .arm(deadlineNs: t0 + 31 * Self.s)))
        XCTAssertFalse(l.acceptsRequests)
        XCTAssertEqual(l.handle(.deferredAnswered(requestKeepAlive: true, nowNs: t0 + 2 * Self.s)), .init(action: .respondAndResumeReading, timer: .unchanged))
        XCTAssertEqual(l.state, .idle(sinceNs: t0 + 2 * Self.s))
    }

    func testDeferredAnswerToAClosingRequestCloses() {
        var l = fresh()
        _ = l.handle(.deferred(nowNs: t0))
        XCTAssertEqual(l.handle(.deferredAnswered(requestKeepAlive: false, nowNs: t0 + 1)), .init(action: .respondThenClose, timer: .cancel))
    }

    func testDeferredRouteThatNeverAnswersGets503ThenItsLateAnswerIsDropped() {
        var l = fresh()
        _ = l.handle(.deferred(nowNs: t0))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)), .init(action: .respondResponseTimeout, timer: .unchanged))
        XCTAssertEqual(l.state, .closing)
        XCTAssertEqual(l.handle(.deferredAnswered(requestKeepAlive: true, nowNs: t0 + 31 * Self.s)).action, .discardLateResponse)
    }

    func testAnswerWithNoDeferredRequestPendingIsDropped() {
        var l = fresh()
        XCTAssertEqual(l.handle(.deferredAnswered(requestKeepAlive: true, nowNs: t0)), .init(action: .discardLateResponse, timer: .unchanged))
        XCTAssertEqual(l.state, .idle(sinceNs: t0))
    }

    func testUpgradeAfterABodyLeavesTheRequestPhases() {
        var l = fresh()
        _ = l.handle(.needMoreInput(.body, nowNs: t0))
        XCTAssertEqual(l.handle(.upgraded(nowNs: t0 + Self.s)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.state, .webSocket(lastHeardNs: t0 + Self.s, nextPingNs: t0 + 31 * Self.s))
        XCTAssertFalse(l.acceptsRequests)
        // The body timer fires early, finds a WebSocket, and arms for its ping check.
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 31 * Self.s)))
    }

    func testEOFWhileAwaitingIsHandledOnceAndTheAnswerCloses() {
        var l = fresh()
        _ = l.handle(.deferred(nowNs: t0))
        XCTAssertEqual(l.handle(.peerClosed(nowNs: t0 + 1)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.state, .halfClosedAwaitingResponse(sinceNs: t0))
        // A repeated EOF changes nothing (604f184 spun on it while reading was paused).
        XCTAssertEqual(l.handle(.peerClosed(nowNs: t0 + 2)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.handle(.deferredAnswered(requestKeepAlive: true, nowNs: t0 + 3)), .init(action: .respondThenClose, timer: .cancel))
    }

    func testHalfClosedConnectionStillHasTheDeferredDeadline() {
        var l = fresh()
        _ = l.handle(.deferred(nowNs: t0))
        _ = l.handle(.peerClosed(nowNs: t0 + 1))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)).action, .respondResponseTimeout)
    }

    // MARK: EOF

    func testEOFBetweenRequestsClosesAfterQueuedAnswersAreWritten() {
        var l = fresh()
        XCTAssertEqual(l.handle(.peerClosed(nowNs: t0)), .init(action: .closeAfterFlush, timer: .cancel))
        XCTAssertEqual(l.handle(.peerClosed(nowNs: t0)).action, .none)
    }

    func testEOFInsideARequestCloses() {
        for progress in [L.RequestProgress.headers, .body] {
            var l = fresh()
            _ = l.handle(.needMoreInput(progress, nowNs: t0))
            XCTAssertEqual(l.handle(.peerClosed(nowNs: t0 + 1)), .init(action: .closeAfterFlush, timer: .cancel))
        }
    }

    func testMalformedRequestIsAnsweredThenClosed() {
        var l = fresh()
        _ = l.handle(.needMoreInput(.headers, nowNs: t0))
        XCTAssertEqual(l.handle(.malformedRequest(nowNs: t0 + 1)), .init(action: .respondThenClose, timer: .cancel))
        XCTAssertEqual(l.handle(.answered(requestKeepAlive: true, nowNs: t0 + 2)).action, .discardLateResponse)
    }

    // MARK: WebSocket

    func testUpgradeArmsThePingCheckAndAQuietPeerIsPinged() {
        var l = fresh()
        XCTAssertEqual(l.handle(.upgraded(nowNs: t0)), .init(action: .none, timer: .arm(deadlineNs: t0 + 30 * Self.s)))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)), .init(action: .sendPing, timer: .arm(deadlineNs: t0 + 60 * Self.s)))
    }

    func testActivePeerIsNotPingedAndItsIdleDeadlineMoves() {
        var l = fresh()
        _ = l.handle(.upgraded(nowNs: t0))
        XCTAssertEqual(l.handle(.webSocketInput(nowNs: t0 + 20 * Self.s)), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)), .init(action: .none, timer: .arm(deadlineNs: t0 + 60 * Self.s)))
        XCTAssertEqual(l.state, .webSocket(lastHeardNs: t0 + 20 * Self.s, nextPingNs: t0 + 60 * Self.s))
    }

    func testSilentWebSocketClosesWithGoingAwayAtItsIdleDeadline() {
        var l = fresh()
        _ = l.handle(.upgraded(nowNs: t0))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)).action, .sendPing)
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 60 * Self.s)), .init(action: .sendPing, timer: .arm(deadlineNs: t0 + 75 * Self.s)))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 75 * Self.s)), .init(action: .closeWebSocket(.idle), timer: .unchanged))
        XCTAssertEqual(l.state, .closing)
    }

    func testWebSocketEOFCloses() {
        var l = fresh()
        _ = l.handle(.upgraded(nowNs: t0))
        XCTAssertEqual(l.handle(.peerClosed(nowNs: t0 + 1)), .init(action: .close, timer: .cancel))
    }

    func testClosingHandshakeStartedByTheHandlerCancelsTheTimer() {
        var l = fresh()
        _ = l.handle(.upgraded(nowNs: t0))
        XCTAssertEqual(l.handle(.closeStarted), .init(action: .none, timer: .cancel))
        XCTAssertEqual(l.state, .closing)
        XCTAssertEqual(l.handle(.closed), .init(action: .none, timer: .unchanged))
        XCTAssertEqual(l.state, .closed)
        XCTAssertEqual(l.handle(.closeStarted).action, .none)
        XCTAssertEqual(l.state, .closed)
    }

    // MARK: shutdown

    func testShutdownClosesIdleConnectionsAndWebSocketsAtOnce() {
        var idle = fresh()
        XCTAssertEqual(idle.handle(.shutdownRequested(nowNs: t0)), .init(action: .close, timer: .cancel))
        var ws = fresh()
        _ = ws.handle(.upgraded(nowNs: t0))
        XCTAssertEqual(ws.handle(.shutdownRequested(nowNs: t0 + 1)), .init(action: .closeWebSocket(.shutdown), timer: .cancel))
    }

    func testShutdownLetsTheRequestInFlightFinishThenCloses() {
        var reading = fresh()
        _ = reading.handle(.needMoreInput(.body, nowNs: t0))
        XCTAssertEqual(reading.handle(.shutdownRequested(nowNs: t0 + 1)), .init(action: .none, timer: .unchanged))
        XCTAssertTrue(reading.isDraining)
        XCTAssertEqual(reading.handle(.answered(requestKeepAlive: true, nowNs: t0 + 2)).action, .respondThenClose)

        var awaiting = fresh()
        _ = awaiting.handle(.deferred(nowNs: t0))
        XCTAssertEqual(awaiting.handle(.shutdownRequested(nowNs: t0 + 1)).action, .none)
        XCTAssertEqual(awaiting.handle(.deferredAnswered(requestKeepAlive: true, nowNs: t0 + 2)).action, .respondThenClose)
    }

    func testDrainingRequestStillHasItsDeadline() {
        var l = fresh()
        _ = l.handle(.needMoreInput(.body, nowNs: t0))
        _ = l.handle(.shutdownRequested(nowNs: t0 + 1))
        XCTAssertEqual(l.handle(.timerFired(nowNs: t0 + 30 * Self.s)).action, .respondRequestTimeout(.body))
    }

    // MARK: invariants

    /// After a timer fires, the next deadline is strictly later than the firing time, in every
    /// state, however late the timer fired: a zero-delay re-arm loop cannot happen.
    func testAFiredTimerNeverReArmsAtOrBeforeNow() {
        let setups: [(inout L) -> Void] = [
            { _ in },
            { _ = $0.handle(.needMoreInput(.headers, nowNs: self.t0)) },
            { _ = $0.handle(.needMoreInput(.body, nowNs: self.t0)) },
            { _ = $0.handle(.deferred(nowNs: self.t0)) },
            { _ = $0.handle(.deferred(nowNs: self.t0)); _ = $0.handle(.peerClosed(nowNs: self.t0)) },
            { _ = $0.handle(.upgraded(nowNs: self.t0)) },
            { _ = $0.handle(.upgraded(nowNs: self.t0)); _ = $0.handle(.webSocketInput(nowNs: self.t0 + 50 * Self.s)) },
        ]
        for (i, setup) in setups.enumerated() {
            for halfSeconds in UInt64(0)...400 {
                let offset = halfSeconds * Self.s / 2
                var l = fresh()
                setup(&l)
                let now = t0 + offset
                let out = l.handle(.timerFired(nowNs: now))
                if case .arm(let deadline) = out.timer {
                    XCTAssertGreaterThan(deadline, now, "setup \(i) at +\(offset) ns")
                } else {
                    XCTAssertNil(l.deadlineNs, "setup \(i) at +\(offset) ns: a waiting state must arm a timer")
                }
            }
        }
    }

    /// Every state in which the connection waits has a deadline.
    func testEveryWaitingStateHasADeadline() {
        var l = fresh()
        XCTAssertNotNil(l.deadlineNs)
        _ = l.handle(.needMoreInput(.headers, nowNs: t0)); XCTAssertNotNil(l.deadlineNs)
        _ = l.handle(.needMoreInput(.body, nowNs: t0)); XCTAssertNotNil(l.deadlineNs)
        _ = l.handle(.deferred(nowNs: t0)); XCTAssertNotNil(l.deadlineNs)
        _ = l.handle(.peerClosed(nowNs: t0)); XCTAssertNotNil(l.deadlineNs)
        var ws = fresh()
        _ = ws.handle(.upgraded(nowNs: t0)); XCTAssertNotNil(ws.deadlineNs)
    }

    func testHugeTimeoutsSaturateInsteadOfTrapping() {
        let huge = L.Timeouts(headerSeconds: .infinity, bodySeconds: 1e300, idleSeconds: -1, deferredResponseSeconds: .nan,
                              webSocketIdleSeconds: 1e12, webSocketPingSeconds: 30)
        XCTAssertEqual(huge.header, UInt64(1e18))
        XCTAssertEqual(huge.idle, 1)
        XCTAssertEqual(huge.deferredResponse, 1)
        XCTAssertEqual(huge.body, UInt64(1e18))
        var l = L(timeouts: L.Timeouts(header: .max, body: .max, idle: .max, deferredResponse: .max, webSocketIdle: .max, webSocketPing: .max), nowNs: t0)
        XCTAssertEqual(l.start(), .arm(deadlineNs: .max))
        _ = l.handle(.needMoreInput(.body, nowNs: t0))
        XCTAssertEqual(l.deadlineNs, .max)
    }
}
