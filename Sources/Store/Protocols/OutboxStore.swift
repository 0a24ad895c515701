// What Outbound needs from storage: the durable outbox of agents' replies, sent in order per
// recipient, with retries, and resumed after a restart.

/// The rows the sender may take now and when to look again.
public struct OutboxDueHeads: Sendable, Equatable {
    /// Oldest first: per (phone number, recipient) only the oldest unfinished message, and only
    /// if it is queued or retrying and due.
    public var rows: [OutboxRow]
    /// The earliest due time among queued/retrying rows (possibly in the past), nil when none.
    public var nextDueAtMs: Int64?

    public init(rows: [OutboxRow], nextDueAtMs: Int64?) {
        self.rows = rows
        self.nextDueAtMs = nextDueAtMs
    }
}

/// What start-up found: rows to send again, and rows that had been accepted by Graph already.
public struct OutboxResumeCounts: Sendable, Equatable {
    public var resent: Int
    public var closedAsSent: Int

    public init(resent: Int, closedAsSent: Int) {
        self.resent = resent
        self.closedAsSent = closedAsSent
    }
}

/// Status flow of a row: queued → sent | retrying → … → sent | failed. "sending" is a row a
/// crash left mid-send. The mark* calls change only unfinished rows and return false otherwise.
public protocol OutboxStore: AnyObject, Sendable {
    /// Commits the outbox row with the conversation's outbound message row (status queued), or,
    /// when the idempotency key was used before, returns that first row and writes nothing. The
    /// check and the insert are one transaction.
    func enqueue(_ message: NewOutboundMessage, nowMs: Int64, completion: @escaping StoreCompletion<EnqueueOutcome>)

    func outboxMessage(id: String, completion: @escaping StoreCompletion<OutboxRow?>)

    func outboxMessage(idempotencyKey: String, completion: @escaping StoreCompletion<OutboxRow?>)

    /// The heads of each recipient's line that are due (see `OutboxDueHeads`). Changes nothing.
    func dueHeads(nowMs: Int64, limit: Int, completion: @escaping StoreCompletion<OutboxDueHeads>)

    /// Graph accepted the message: stores the wamid on the outbox and message rows and marks
    /// both sent (the message only if no later status got there first). `inSameTransaction`
    /// runs after that, atomically with it (the sender applies statuses that arrived first).
    func markSent(id: String, wamid: String, attempts: Int, nowMs: Int64,
                  inSameTransaction: (@Sendable (any ConversationTransaction) throws -> Void)?,
                  completion: @escaping StoreCompletion<Bool>)

    /// A transient failure: the row waits until `nextAttemptAtMs`.
    func markRetrying(id: String, attempts: Int, nextAttemptAtMs: Int64, lastError: String, nowMs: Int64,
                      completion: @escaping StoreCompletion<Bool>)

    /// Final: the outbox row and its message row fail; `errorJSON` goes on the message row.
    func markFailed(id: String, attempts: Int, lastError: String, errorJSON: String, nowMs: Int64,
                    completion: @escaping StoreCompletion<Bool>)

    /// Start-up: unfinished rows with a wamid are closed as sent (never sent twice); rows left
    /// "sending" without one are due again now.
    func resumeOnStartup(nowMs: Int64, completion: @escaping StoreCompletion<OutboxResumeCounts>)
}
