import XCTest
@testable import Cluster

final class RedisURLTests: XCTestCase {
    func testAcceptedForms() {
        XCTAssertEqual(RedisURL("redis://127.0.0.1:6380"), RedisURL(host: "127.0.0.1", port: 6380))
        XCTAssertEqual(RedisURL("redis://localhost"), RedisURL(host: "localhost", port: 6379))
        XCTAssertEqual(RedisURL("redis://:s3cr@t@10.0.0.2:7000/3"), RedisURL(host: "10.0.0.2", port: 7000, password: "s3cr@t", database: 3))
        XCTAssertEqual(RedisURL("redis://[::1]:6390/"), RedisURL(host: "::1", port: 6390))
    }

    func testRefusedForms() {
        for bad in ["", "http://h:1", "redis://", "redis://user:pw@h:1", "redis://h:0", "redis://h:70000", "redis://h:1/16",
                    "redis://h:1/x", "redis://h h:1", "redis://[::1", "rediss://h:1"] {
            XCTAssertNil(RedisURL(bad), bad)
        }
    }
}

final class RedisURLResolveTests: XCTestCase {
    func testLiteralsStayAndLocalhostResolvesToLoopback() {
        XCTAssertEqual(RedisURL(host: "10.0.0.7", port: 1).resolved(), RedisURL(host: "10.0.0.7", port: 1))
        XCTAssertEqual(RedisURL(host: "::1", port: 1).resolved(), RedisURL(host: "::1", port: 1))
        XCTAssertEqual(RedisURL(host: "localhost", port: 2, password: "p", database: 3).resolved(),
                       RedisURL(host: "127.0.0.1", port: 2, password: "p", database: 3))
        XCTAssertNil(RedisURL(host: "no-such-host.invalid", port: 1).resolved())
    }
}
