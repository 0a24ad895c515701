// How every store call answers: once, with a value or a StoreError, never by blocking the caller.

/// Called exactly once per request. Implementations call it on one of their own threads once
/// the work has committed (or failed), or at once on the caller's thread when they refuse the
/// request up front (closed, overloaded). Keep it short: hop back to your own loop or thread.
/// Reactor threads submit and return; they never wait for a store.
public typealias StoreCompletion<T> = @Sendable (Result<T, StoreError>) -> Void

/// Everything Inbound, Outbound, Conversations and Ops need from storage, in one value for the
/// wiring. Each caller should hold only the part it uses.
public typealias SwitchboardStore = InboxStore & OutboxStore & ConversationStore & HealthStore
