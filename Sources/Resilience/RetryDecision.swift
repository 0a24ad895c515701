// Combines a classification, the attempt count and the backoff policy into one verdict.

public struct RetryDecision: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// Send again after this delay.
        case retry(after: Nanoseconds)
        /// Stop and mark the message failed.
        case fail(GiveUpReason)
    }

    /// Stable reasons, for `message.failed` events and metrics labels.
    public enum GiveUpReason: String, Sendable, Hashable {
        /// The failure cannot be fixed by retrying.
        case permanent
        /// Transient, but the attempt budget is spent.
        case attemptsExhausted = "attempts_exhausted"
    }

    public let action: Action
    /// What else to slow down: `.recipient` → the pair pacer, `.phoneNumber` → the throughput
    /// governor. Applies whether the message is retried or not.
    public let scope: FailureScope
    public let classification: Classification

    /// `attempts` is how many sends of this message have been made, the failed one included.
    /// `minimumDelay` lets the caller impose a scope-specific wait, e.g. the 4^n seconds of
    /// `PairPacer.recordPairRateLimit` for 131056 or the pause of
    /// `ThroughputGovernor.recordThrottled`; the retry waits for the longer of that and the
    /// jittered backoff.
    public static func decide(
        _ classification: Classification,
        attempts: Int,
        policy: BackoffPolicy,
        random: inout some RandomSource,
        minimumDelay: Nanoseconds = 0
    ) -> RetryDecision {
        let action: Action
        if classification.kind == .permanent {
            action = .fail(.permanent)
        } else if policy.shouldGiveUp(afterAttempts: attempts)
            || classification.attemptLimit.map({ attempts >= $0 }) == true
        {
            action = .fail(.attemptsExhausted)
        } else {
            let backoff = policy.delay(attempt: attempts, random: &random)
            action = .retry(after: max(backoff, minimumDelay))
        }
        return RetryDecision(action: action, scope: classification.scope, classification: classification)
    }
}
