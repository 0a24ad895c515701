// A session that survives the server going away: each use first checks the connection and, when
// it broke, reconnects at most once per `retryInterval`, so an outage turns into fast
// "unavailable" answers instead of a thread stuck connecting for every request.
import Foundation
import Postgres

/// Owned by one store thread, like the session it hands out.
final class PostgresLink {
    private let settings: PostgresSettings
    private var session: PostgresSession?
    private var nextAttempt = Date.distantPast
    private let retryInterval: TimeInterval = 1

    /// Takes over an open session (start-up connected it already).
    init(settings: PostgresSettings, session: PostgresSession) {
        self.settings = settings
        self.session = session
    }

    /// The live session, reconnecting first when needed; "unavailable" while the server is away.
    func liveSession() throws -> PostgresSession {
        if let session, session.connection.isHealthy { return session }
        session = nil
        guard Date() >= nextAttempt else { throw Self.unavailable("reconnecting") }
        nextAttempt = Date().addingTimeInterval(retryInterval)
        do {
            let fresh = PostgresSession(try PostgresStore.connect(settings, connectTimeoutS: 2))
            session = fresh
            return fresh
        } catch {
            throw StoreError.postgres(error)
        }
    }

    /// After a failure that broke the connection: forget it, so the next use reconnects.
    func dropIfBroken() {
        if let session, !session.connection.isHealthy { self.session = nil }
    }

    static func unavailable(_ detail: String) -> StoreError {
        StoreError(code: "unavailable", message: "database unavailable (\(detail))")
    }
}
