import XCTest
import Resilience
@testable import App

final class OutboundConfigurationTests: XCTestCase {
    let ms = TimeSpan.nanosecondsPerMillisecond

    func testSettingsParseAndRejectBadValues() throws {
        let c = try Configuration.load(environment: [
            "SWITCHBOARD_GRAPH_BASE_URL": "http://127.0.0.1:9", "SWITCHBOARD_WA_ACCESS_TOKEN": "tok",
            "SWITCHBOARD_WA_PHONE_NUMBER_ID": "123", "SWITCHBOARD_SEND_RETRIES": "off", "SWITCHBOARD_BREAKER": "off",
            "SWITCHBOARD_PAIR_INTERVAL_MS": "0", "SWITCHBOARD_BREAKER_OPEN_S": "1.5", "SWITCHBOARD_SEND_MAX_ATTEMPTS": "3",
        ], flags: [:])
        XCTAssertEqual(c.outbound.graphBaseURL, "http://127.0.0.1:9")
        XCTAssertEqual(c.outbound.graphAPIVersion, "v21.0")
        XCTAssertFalse(c.outbound.retriesEnabled)
        XCTAssertFalse(c.outbound.breakerEnabled)
        XCTAssertEqual(c.outbound.pairIntervalMs, 0)
        XCTAssertEqual(c.outbound.resilience.breaker.openDuration, 1_500 * ms)
        XCTAssertEqual(c.outbound.resilience.backoff.maxAttempts, 3)
        for (env, value) in [("SWITCHBOARD_GRAPH_BASE_URL", "ftp://x"), ("SWITCHBOARD_WA_PHONE_NUMBER_ID", "12/../x"),
                             ("SWITCHBOARD_SEND_RETRIES", "maybe"), ("SWITCHBOARD_SEND_RATE", "0"),
                             ("SWITCHBOARD_GRAPH_API_VERSION", "21"), ("SWITCHBOARD_BREAKER_FAILURES", "0")] {
            XCTAssertThrowsError(try Configuration.load(environment: [env: value], flags: [:]), env)
        }
    }
}
