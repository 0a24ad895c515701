import XCTest
import Cluster
@testable import App

final class ClusterConfigurationTests: XCTestCase {
    func testUnsetMeansOneNodeWithoutRedis() throws {
        let c = try Configuration.load(environment: [:], flags: [:])
        XCTAssertNil(c.cluster.redis)
        XCTAssertNil(c.cluster.nodeID)
        XCTAssertEqual(c.cluster.presenceTTLSeconds, 30)
    }

    func testClusterSettings() throws {
        let c = try Configuration.load(environment: ["SWITCHBOARD_REDIS_URL": "redis://:pw@10.1.2.3:6390/2",
                                                     "SWITCHBOARD_NODE_ID": "node-a.1", "SWITCHBOARD_PRESENCE_TTL_S": "12"], flags: [:])
        XCTAssertEqual(c.cluster.redis, RedisURL(host: "10.1.2.3", port: 6390, password: "pw", database: 2))
        XCTAssertEqual(c.cluster.nodeID, "node-a.1")
        XCTAssertEqual(c.cluster.presenceTTLSeconds, 12)
    }

    func testBadValuesNameTheSetting() {
        for (env, value) in [("SWITCHBOARD_REDIS_URL", "http://x"), ("SWITCHBOARD_NODE_ID", "a b"), ("SWITCHBOARD_NODE_ID", ""),
                             ("SWITCHBOARD_PRESENCE_TTL_S", "1"), ("SWITCHBOARD_PRESENCE_TTL_S", "x")] {
            XCTAssertThrowsError(try Configuration.load(environment: [env: value], flags: [:])) { error in
                XCTAssertTrue("\(error)".contains(env), "\(error)")
            }
        }
    }
}
