import XCTest
@testable import App

final class ConfigurationTests: XCTestCase {
    func testDefaults() throws {
        let c = try Configuration.load(environment: [:], flags: [:])
        XCTAssertEqual(c.server.host, "127.0.0.1")
        XCTAssertEqual(c.server.port, 8080)
        XCTAssertEqual(c.dataDir, "./data")
        XCTAssertEqual(c.batchWindowMs, 10)
        XCTAssertEqual(c.batchMaxEvents, 256)
        XCTAssertEqual(c.batchMaxBytes, 65536)
        XCTAssertEqual(c.maxConnectionBuffer, 4 << 20)
        XCTAssertEqual(c.historyMax, 1000)
        XCTAssertEqual(c.historyTTLSeconds, 600)
        XCTAssertEqual(c.inboxMaxAttempts, 5)
        XCTAssertEqual(c.server.bodyTimeoutSeconds, 30)
        XCTAssertEqual(c.server.bodyTimeoutSeconds, 30)
    }

    func testBodyTimeoutReachesTheServerSettings() throws {
        let c = try Configuration.load(environment: ["SWITCHBOARD_BODY_TIMEOUT_S": "2.5"], flags: [:])
        XCTAssertEqual(c.server.bodyTimeoutSeconds, 2.5)
    }

    func testFlagWinsOverVariable() throws {
        let c = try Configuration.load(environment: ["SWITCHBOARD_PORT": "9000", "SWITCHBOARD_HOST": "::1"], flags: ["--port": "9001"])
        XCTAssertEqual(c.server.port, 9001)
        XCTAssertEqual(c.server.host, "::1")
    }

    func testBadValuesNameTheSetting() {
        let cases: [([String: String], [String: String], String)] = [
            (["SWITCHBOARD_PORT": "http"], [:], "SWITCHBOARD_PORT"),
            ([:], ["--port": "70000"], "--port"),
            (["SWITCHBOARD_THREADS": "0"], [:], "SWITCHBOARD_THREADS"),
            (["SWITCHBOARD_HOST": "localhost"], [:], "SWITCHBOARD_HOST"),
            (["SWITCHBOARD_BATCH_WINDOW_MS": "-1"], [:], "SWITCHBOARD_BATCH_WINDOW_MS"),
            (["SWITCHBOARD_LOG_FORMAT": "xml"], [:], "SWITCHBOARD_LOG_FORMAT"),
            (["SWITCHBOARD_AUTH_SECRET": "short"], [:], "SWITCHBOARD_AUTH_SECRET"),
            (["SWITCHBOARD_CORS_ORIGINS": "ftp://x"], [:], "SWITCHBOARD_CORS_ORIGINS"),
            (["SWITCHBOARD_GROUP_COMMIT": "yes"], [:], "SWITCHBOARD_GROUP_COMMIT"),
            (["SWITCHBOARD_BODY_TIMEOUT_S": "0"], [:], "SWITCHBOARD_BODY_TIMEOUT_S"),
            (["SWITCHBOARD_BODY_TIMEOUT_S": "soon"], [:], "SWITCHBOARD_BODY_TIMEOUT_S"),
        ]
        for (env, flags, name) in cases {
            do {
                _ = try Configuration.load(environment: env, flags: flags)
                XCTFail("accepted \(env) \(flags)")
            } catch {
                XCTAssertTrue(error.message.contains(name), error.message)
                XCTAssertFalse(error.message.contains("\n"))
            }
        }
    }

    func testCORSOriginsList() throws {
        let c = try Configuration.load(environment: ["SWITCHBOARD_CORS_ORIGINS": "http://a.example, https://b.example:8443"], flags: [:])
        XCTAssertEqual(c.server.corsOrigins, ["http://a.example", "https://b.example:8443"])
    }

    func testEverySettingIsDocumented() {
        let names = Configuration.documentation.map(\.env)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("SWITCHBOARD_") })
    }
}
