// Where the PostgreSQL tests find their server: SWITCHBOARD_TEST_DATABASE_URL, set by `make test`
// (scripts/pg-throwaway.sh). Run by hand without it, the tests skip; with
// SWITCHBOARD_TEST_REQUIRE_POSTGRES=1 (as `make test` sets) a missing URL fails them instead.
import Foundation
import XCTest

enum TestDatabase {
    static func url() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["SWITCHBOARD_TEST_DATABASE_URL"], !url.isEmpty { return url }
        if environment["SWITCHBOARD_TEST_REQUIRE_POSTGRES"] == "1" {
            throw XCTestError(.failureWhileWaiting, userInfo: [
                NSLocalizedDescriptionKey: "SWITCHBOARD_TEST_DATABASE_URL is not set (make test starts a throwaway PostgreSQL)"])
        }
        throw XCTSkip("SWITCHBOARD_TEST_DATABASE_URL not set: no PostgreSQL to test against")
    }
}
