// Pure pieces of observability: alert rules over an injected clock, browser level mapping,
// truncation, JSON log lines that cannot be forged, and the health report's status and JSON.
import Logging
import XCTest
@testable import Observability

final class AlertEngineTests: XCTestCase {
    func rules(forMs: Int64 = 10_000) -> [AlertRule] {
        var t = AlertThresholds()
        t.forMs = forMs
        return AlertRule.standard(t)
    }

    func testBreakerOpenFiresOnlyAfterForDurationThenResolvesOnce() {
        var engine = AlertEngine(rules: rules())
        var open = AlertInputs()
        open.breakerState = "open"
        XCTAssertEqual(engine.evaluate(open, nowMs: 0), [])
        XCTAssertEqual(engine.evaluate(open, nowMs: 9_999), [])
        let fired = engine.evaluate(open, nowMs: 10_000)
        XCTAssertEqual(fired.count, 1)
        guard case .firing(let alert) = fired.first else { return XCTFail("expected firing") }
        XCTAssertEqual(alert.key, "whatsapp.breaker_open")
        XCTAssertEqual(alert.severity, .critical)
        XCTAssertEqual(alert.firingSinceMs, 10_000)
        XCTAssertEqual(engine.evaluate(open, nowMs: 15_000), [], "fires once")
        XCTAssertEqual(engine.firing.map(\.key), ["whatsapp.breaker_open"])
        let resolved = engine.evaluate(AlertInputs(), nowMs: 20_000)
        XCTAssertEqual(resolved, [.resolved(alert, atMs: 20_000)])
        XCTAssertEqual(engine.firing, [])
        XCTAssertEqual(engine.evaluate(AlertInputs(), nowMs: 25_000), [])
    }

    func testFlappingConditionNeverFires() {
        var engine = AlertEngine(rules: rules())
        var bad = AlertInputs()
        bad.databaseOK = false
        for step in 0..<10 {
            let inputs = step % 2 == 0 ? bad : AlertInputs()
            XCTAssertEqual(engine.evaluate(inputs, nowMs: Int64(step) * 6_000), [])
        }
    }

    func testDeadLettersFireImmediately() {
        var engine = AlertEngine(rules: rules())
        var i = AlertInputs()
        i.deadLetters = 2
        let t = engine.evaluate(i, nowMs: 5)
        guard case .firing(let a)? = t.first else { return XCTFail("expected firing") }
        XCTAssertEqual(a.key, "inbox.dead_letter")
        XCTAssertEqual(a.labels["count"], "2")
    }

    func testRatesAndThresholds() {
        var engine = AlertEngine(rules: rules(forMs: 0))
        var i = AlertInputs()
        i.httpRequestsInWindow = 10
        i.http5xxInWindow = 10
        XCTAssertEqual(engine.evaluate(i, nowMs: 0), [], "too few requests for a ratio")
        i.httpRequestsInWindow = 100
        i.http5xxInWindow = 6
        i.signatureFailuresPerMinute = 11
        i.inboxOldestAgeMs = 61_000
        i.graphTokenRejected = true
        let keys = Set(engine.evaluate(i, nowMs: 1).compactMap { t -> String? in
            if case .firing(let a) = t { return a.key } else { return nil }
        })
        XCTAssertEqual(keys, ["http.5xx_ratio", "webhook.signature_failures", "inbox.backlog", "whatsapp.token_rejected"])
    }

    func firingKeys(_ transitions: [AlertTransition]) -> Set<String> {
        Set(transitions.compactMap { t -> String? in
            if case .firing(let a) = t { return a.key } else { return nil }
        })
    }

    func testUnconfiguredWebhooksAreAWarningNotAnOutage() {
        // 40 webhooks refused with 503 before SWITCHBOARD_WA_APP_SECRET is set, 10 other requests
        // that all succeeded: the integration is not configured, the server is healthy.
        var engine = AlertEngine(rules: rules(forMs: 0))
        var i = AlertInputs()
        i.httpRequestsInWindow = 50
        i.http5xxInWindow = 40
        i.webhooksRefusedUnconfiguredInWindow = 40
        XCTAssertEqual(i.http5xxRatio, 0)
        let fired = engine.evaluate(i, nowMs: 0)
        XCTAssertEqual(firingKeys(fired), ["whatsapp.not_configured"])
        guard case .firing(let alert)? = fired.first else { return XCTFail("expected firing") }
        XCTAssertEqual(alert.severity, .warning)
        XCTAssertEqual(alert.labels["refused"], "40")
        // Once webhooks stop being refused (configured, or Meta stopped trying), it resolves.
        XCTAssertEqual(engine.evaluate(AlertInputs(), nowMs: 1), [.resolved(alert, atMs: 1)])
    }

    func testRealFailuresNextToUnconfiguredWebhooksStillFireTheRatio() {
        var engine = AlertEngine(rules: rules(forMs: 0))
        var i = AlertInputs()
        i.httpRequestsInWindow = 130
        i.http5xxInWindow = 40  // 30 refused webhooks + 10 real failures of the 100 other requests
        i.webhooksRefusedUnconfiguredInWindow = 30
        XCTAssertEqual(i.http5xxRatio, 0.1, accuracy: 1e-9)
        XCTAssertEqual(firingKeys(engine.evaluate(i, nowMs: 0)), ["whatsapp.not_configured", "http.5xx_ratio"])
    }

    func testRefusalsCountedAheadOfTheir503sNeverMakeANegativeRatio() {
        var i = AlertInputs()
        i.httpRequestsInWindow = 25
        i.http5xxInWindow = 3
        i.webhooksRefusedUnconfiguredInWindow = 5
        XCTAssertEqual(i.http5xxRatio, 0)
        XCTAssertEqual(i.httpRequestsCounted, 20)
        i.webhooksRefusedUnconfiguredInWindow = 30
        XCTAssertEqual(i.httpRequestsCounted, 0)
        XCTAssertEqual(i.http5xxRatio, 0)
    }

    func testAlertJSONAndText() {
        let a = Alert(key: "k", severity: .warning, summary: "s\"x", labels: ["b": "2", "a": "1"], firingSinceMs: 0)
        XCTAssertEqual(String(decoding: a.json(), as: UTF8.self),
                       #"{"key":"k","severity":"warning","summary":"s\"x","labels":{"a":"1","b":"2"},"firing_since":"1970-01-01T00:00:00.000Z"}"#)
        XCTAssertEqual(a.text(resolved: true), "[RESOLVED] [warning] k: s\"x (a=1 b=2)")
    }

    func testTokenRejectedClearsAfterSuccess() {
        var s = WhatsAppHealthSnapshot(lastFailureMs: 10, lastErrorCode: 190)
        XCTAssertTrue(s.tokenRejected)
        s.lastSuccessMs = 11
        XCTAssertFalse(s.tokenRejected)
        let sources = HealthSources()
        XCTAssertNil(sources.whatsApp)
        sources.recordGraphFailure(atMs: 5, code: 190)
        sources.recordBreakerState("open")
        XCTAssertEqual(sources.whatsApp?.breakerState, "open")
        XCTAssertEqual(sources.whatsApp?.tokenRejected, true)
    }

    func testBreakerOpenUntilIsKeptOnlyWhileOpen() {
        let sources = HealthSources()
        sources.recordBreakerState("open", openUntilMs: 1_800_000_030_000)
        XCTAssertEqual(sources.whatsApp?.breakerOpenUntilMs, 1_800_000_030_000)
        sources.recordBreakerState("half_open", openUntilMs: 1_800_000_030_000)
        XCTAssertNil(sources.whatsApp?.breakerOpenUntilMs)
        sources.recordBreakerState("open", openUntilMs: 1_800_000_090_000)
        sources.recordBreakerState("closed")
        XCTAssertNil(sources.whatsApp?.breakerOpenUntilMs)
    }
}

final class BrowserLogTests: XCTestCase {
    func testLevelMapping() {
        XCTAssertEqual(BrowserLog.level("warn"), .warning)
        XCTAssertEqual(BrowserLog.level("ERROR"), .error)
        XCTAssertEqual(BrowserLog.level("log"), .info)
        XCTAssertEqual(BrowserLog.level("debug"), .debug)
        XCTAssertEqual(BrowserLog.level("fatal"), .critical)
        XCTAssertEqual(BrowserLog.level("shouting"), .info)
        XCTAssertEqual(BrowserLog.level(nil), .info)
    }

    func testTruncationKeepsWholeScalars() {
        XCTAssertEqual(BrowserLog.truncate("short"), "short")
        let long = String(repeating: "é", count: 5000)  // 10000 bytes
        let cut = BrowserLog.truncate(long)
        XCTAssertTrue(cut.hasSuffix("…[truncated]"))
        XCTAssertEqual(cut.dropLast("…[truncated]".count).utf8.count, 8192)
        XCTAssertEqual(BrowserLog.truncate("aé", maxBytes: 2), "a…[truncated]")
    }

    func testJSONLineCannotBeForged() {
        let handler = JSONLogHandler(label: "t")
        let event = LogEvent(level: .info, message: "a\n{\"level\":\"critical\"}\u{1b}", metadata: ["webhook.id": "7", "correlation_id": "c1"],
                             source: "t", file: "f", function: "g", line: 1)
        let line = String(decoding: handler.render(event, timestamp: "T"), as: UTF8.self)
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1)
        XCTAssertTrue(line.hasSuffix("}\n"))
        XCTAssertEqual(line, #"{"ts":"T","level":"info","msg":"a\n{\"level\":\"critical\"}\u001b","service":"switchboard","correlation_id":"c1","webhook.id":"7"}"# + "\n")
        XCTAssertEqual(LogText.escapeControl("x\ny\u{7}"), "x\\ny\\u{7}")
    }

    func testRFC3339() {
        XCTAssertEqual(RFC3339.format(milliseconds: 1_795_918_445_123), "2026-11-29T02:14:05.123Z")
    }
}

final class HealthReportTests: XCTestCase {
    func report(_ overrides: [String: HealthStatus]) -> HealthReport {
        var services: [String: ServiceHealth] = [:]
        for n in HealthReport.serviceNames { services[n] = ServiceHealth(status: overrides[n] ?? .ok) }
        return HealthReport(services: services, timestampMs: 0, version: "v", uptimeSeconds: 3)
    }

    func testStatusAndHTTP() {
        XCTAssertEqual(report([:]).status, .ok)
        XCTAssertEqual(report([:]).httpStatus, 200)
        XCTAssertEqual(report(["whatsapp": .error]).status, .degraded)
        XCTAssertEqual(report(["whatsapp": .error]).httpStatus, 200)
        XCTAssertEqual(report(["database": .error]).status, .error)
        XCTAssertEqual(report(["database": .error]).httpStatus, 503)
        XCTAssertEqual(report(["hub": .degraded]).httpStatus, 503)
    }

    func testJSONShape() {
        var r = report([:])
        r.services["database"]?.details = ["latency_ms": .double(1.5), "error": .null]
        let s = String(decoding: r.json(), as: UTF8.self)
        XCTAssertTrue(s.hasPrefix(#"{"status":"ok","timestamp":"1970-01-01T00:00:00.000Z","version":"v","uptime_s":3,"services":{"database":{"status":"ok","details":{"error":null,"latency_ms":1.5}},"whatsapp":"#), s)
    }
}
