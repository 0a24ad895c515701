import XCTest
@testable import SocketIO

final class EngineIOSessionTests: XCTestCase {
    private func b(_ s: String) -> [UInt8] { Array(s.utf8) }
    private func poll(_ s: String) -> EngineIOAction { .answerPoll(b(s)) }

    private func polling(at now: Int64 = 0, settings: EngineIOSettings = EngineIOSettings()) -> EngineIOSession {
        EngineIOSession(settings: settings, transport: .polling, nowMs: now)
    }

    func testPollIsHeldUntilOutputThenAnsweredWithJoinedPackets() {
        var s = polling()
        XCTAssertEqual(s.pollArrived(), [])
        XCTAssertTrue(s.pollPending)
        XCTAssertEqual(s.send(b("40{}")), [poll("40{}")])
        XCTAssertFalse(s.pollPending)
        XCTAssertEqual(s.send(b("42[\"a\"]")), [])
        XCTAssertEqual(s.send(b("42[\"b\"]\u{1e}42[\"c\"]")), [])
        XCTAssertEqual(s.bufferedBytes, 7 + 15)
        XCTAssertEqual(s.pollArrived(), [poll("42[\"a\"]\u{1e}42[\"b\"]\u{1e}42[\"c\"]")])
        XCTAssertEqual(s.bufferedBytes, 0)
    }

    func testConcurrentPollIsRejectedAndClosesTheSession() {
        var s = polling()
        _ = s.pollArrived()
        XCTAssertEqual(s.pollArrived(), [.rejectPoll, poll("1"), .closed(.transportError)])
        XCTAssertEqual(s.state, .closed)
        XCTAssertEqual(s.pollArrived(), [.rejectPoll])
    }

    func testPingEveryIntervalAndCloseWhenThePongMisses() {
        var s = polling(at: 1000)
        XCTAssertEqual(s.nextDeadlineMs, 26_000)
        XCTAssertEqual(s.timerFired(nowMs: 25_999), [])
        _ = s.pollArrived()
        XCTAssertEqual(s.timerFired(nowMs: 26_000), [poll("2")])
        XCTAssertEqual(s.nextDeadlineMs, 46_000)
        XCTAssertEqual(s.timerFired(nowMs: 45_999), [])
        XCTAssertEqual(s.timerFired(nowMs: 46_000), [.closed(.pingTimeout)])
    }

    func testPongSchedulesTheNextPing() {
        var s = polling()
        _ = s.timerFired(nowMs: 25_000)
        XCTAssertEqual(s.postArrived(b("3"), nowMs: 30_000), [])
        XCTAssertEqual(s.nextDeadlineMs, 55_000)
        XCTAssertEqual(s.timerFired(nowMs: 46_000), [])
        XCTAssertEqual(s.state, .open)
    }

    func testPostDeliversMessagesAndCloseEndsTheSession() {
        var s = polling()
        XCTAssertEqual(s.postArrived(b("40\u{1e}42[\"x\"]"), nowMs: 1),
                       [.deliver(EngineIOPacket(.message, "0")), .deliver(EngineIOPacket(.message, "2[\"x\"]"))])
        _ = s.pollArrived()
        XCTAssertEqual(s.postArrived(b("1"), nowMs: 2), [poll("1"), .closed(.transportClose)])
    }

    func testMalformedPayloadClosesWithParseError() {
        var s = polling()
        XCTAssertEqual(s.postArrived(b("4a\u{1e}x"), nowMs: 1), [.closed(.parseError)])
        var t = polling()
        XCTAssertEqual(t.postArrived(b("0{}"), nowMs: 1), [.closed(.parseError)])
    }

    func testUpgradeProbeNoopAndSwitch() {
        var s = polling()
        _ = s.pollArrived()
        XCTAssertEqual(s.probeText(b("2probe"), nowMs: 10), [.sendProbe(b("3probe")), poll("6")])
        XCTAssertTrue(s.upgrading)
        XCTAssertEqual(s.send(b("42[\"held\"]")), [])
        XCTAssertEqual(s.probeText(b("5"), nowMs: 20), [.sendWebSocket(b("42[\"held\"]"))])
        XCTAssertEqual(s.transport, .websocket)
        XCTAssertTrue(s.sendsDirectlyToWebSocket)
        XCTAssertEqual(s.send(b("4a\u{1e}4b")), [.sendWebSocket(b("4a")), .sendWebSocket(b("4b"))])
        XCTAssertEqual(s.pollArrived(), [.rejectPoll])
        XCTAssertEqual(s.webSocketText(b("42[\"y\"]"), nowMs: 30), [.deliver(EngineIOPacket(.message, "2[\"y\"]"))])
        XCTAssertEqual(s.timerFired(nowMs: 25_000), [.sendWebSocket(b("2"))])
    }

    func testPollDuringUpgradeGetsNoopWhenNothingIsBuffered() {
        var s = polling()
        XCTAssertEqual(s.probeText(b("2probe"), nowMs: 10), [.sendProbe(b("3probe"))])
        XCTAssertEqual(s.pollArrived(), [poll("6")])
    }

    func testUpgradeTimesOutAndTheSessionStaysOnPolling() {
        var s = polling()
        _ = s.probeText(b("2probe"), nowMs: 0)
        XCTAssertEqual(s.timerFired(nowMs: 10_000), [.abortProbe])
        XCTAssertEqual(s.transport, .polling)
        XCTAssertEqual(s.state, .open)
        XCTAssertFalse(s.upgrading)
    }

    func testAnythingButTheProbeAbortsIt() {
        var s = polling()
        XCTAssertEqual(s.probeText(b("5"), nowMs: 0), [.abortProbe])
        XCTAssertEqual(s.probeText(b("2other"), nowMs: 0), [.abortProbe])
        XCTAssertEqual(s.transport, .polling)
    }

    func testBufferedOutputIsBounded() {
        var settings = EngineIOSettings()
        settings.maxBufferedBytes = 10
        var s = polling(settings: settings)
        XCTAssertEqual(s.send(b("4123456789")), [])
        XCTAssertEqual(s.send(b("4")), [.closed(.slowConsumer)])
    }

    func testWebSocketMessagesOverMaxPayloadClose() {
        var settings = EngineIOSettings()
        settings.maxPayload = 4
        var s = EngineIOSession(settings: settings, transport: .websocket, nowMs: 0)
        XCTAssertEqual(s.webSocketText(b("4abcd"), nowMs: 0), [.closed(.parseError)])
        var t = EngineIOSession(settings: settings, transport: .websocket, nowMs: 0)
        XCTAssertEqual(t.webSocketBinary([1, 2], nowMs: 0), [.deliver(EngineIOPacket(.message, [1, 2], isBinary: true))])
        XCTAssertEqual(t.transportClosed(), [.closed(.transportClose)])
        XCTAssertEqual(t.send(b("4x")), [])
    }
}
