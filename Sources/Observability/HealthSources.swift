// Where parts that are built elsewhere report their state for health and alerts without the
// health monitor calling them: the outbound sender pushes its breaker state, its last Graph
// success and its last Graph failure here; the monitor and the alert rules read a snapshot.
import Locks
import Synchronization

/// What the WhatsApp sender last told us. `breakerState` uses Resilience's names:
/// "closed", "open", "half_open".
public struct WhatsAppHealthSnapshot: Sendable, Equatable {
    public var breakerState: String
    public var lastSuccessMs: Int64?
    public var lastFailureMs: Int64?
    /// Graph's `error.code` of the last failure, when it had one.
    public var lastErrorCode: Int?
    /// Wall-clock ms when an open breaker lets its probe through; nil unless open.
    public var breakerOpenUntilMs: Int64?

    public init(breakerState: String = "closed", lastSuccessMs: Int64? = nil, lastFailureMs: Int64? = nil, lastErrorCode: Int? = nil) {
        self.breakerState = breakerState
        self.lastSuccessMs = lastSuccessMs
        self.lastFailureMs = lastFailureMs
        self.lastErrorCode = lastErrorCode
    }

    /// Graph error 190 (access token expired or invalid) with no success since: every send will
    /// fail until someone rotates the token.
    public var tokenRejected: Bool {
        guard lastErrorCode == 190, let failed = lastFailureMs else { return false }
        return failed >= (lastSuccessMs ?? Int64.min)
    }
}

public final class HealthSources: Sendable {
    private let whatsapp = Locked<WhatsAppHealthSnapshot?>(nil)

    public init() {}

    /// The sender calls this once at start, so health can tell "configured" from "never used".
    public func registerWhatsAppSender(breakerState: String = "closed") {
        whatsapp.withLock { s in if s == nil { s = WhatsAppHealthSnapshot(breakerState: breakerState) } }
    }

    /// On every breaker transition; `openUntilMs` (wall clock) only with "open".
    public func recordBreakerState(_ name: String, openUntilMs: Int64? = nil) {
        whatsapp.withLock { s in
            var v = s ?? WhatsAppHealthSnapshot()
            v.breakerState = name
            v.breakerOpenUntilMs = name == "open" ? openUntilMs : nil
            s = v
        }
    }

    public func recordGraphSuccess(atMs: Int64) {
        whatsapp.withLock { s in
            var v = s ?? WhatsAppHealthSnapshot()
            v.lastSuccessMs = atMs
            s = v
        }
    }

    public func recordGraphFailure(atMs: Int64, code: Int?) {
        whatsapp.withLock { s in
            var v = s ?? WhatsAppHealthSnapshot()
            v.lastFailureMs = atMs
            v.lastErrorCode = code
            s = v
        }
    }

    /// Nil when no sender has reported (outbound not configured).
    public var whatsApp: WhatsAppHealthSnapshot? { whatsapp.withLock { $0 } }
}
