// What Inbound needs from storage: the durable inbox of raw webhook deliveries, processed in
// arrival order, retried, dead-lettered and replayed.

/// One verified delivery, exactly as received.
public struct InboxDelivery: Sendable, Equatable {
    /// The raw bytes the HMAC was computed over: nothing is lost or re-encoded.
    public var body: [UInt8]
    public var signature: String
    public var correlationID: String
    public var receivedAtMs: Int64

    public init(body: [UInt8], signature: String, correlationID: String, receivedAtMs: Int64) {
        self.body = body
        self.signature = signature
        self.correlationID = correlationID
        self.receivedAtMs = receivedAtMs
    }
}

/// What to do with a row whose apply failed; the caller's retry policy decides.
public enum InboxFailurePlan: Sendable, Equatable {
    /// Back to pending, not claimable before `atMs`; the attempt is counted.
    case retry(atMs: Int64, reason: String)
    /// Out of the inbox into the dead letters (listed, alerted on, replayable).
    case deadLetter(reason: String)
}

/// How one claimed row ended.
public enum InboxOutcome<Output: Sendable>: Sendable {
    /// Applied and marked done in the same transaction.
    case done(Output)
    /// Rolled back and scheduled again; `attempts` counts this failure.
    case retrying(attempts: Int, reason: String)
    case deadLettered(deadLetterID: Int64, reason: String)
    /// The row was no longer claimed by this worker (reset, or taken over): nothing changed.
    case skipped
}

public struct InboxResult<Output: Sendable>: Sendable {
    public let row: InboxRow
    public let outcome: InboxOutcome<Output>

    public init(row: InboxRow, outcome: InboxOutcome<Output>) {
        self.row = row
        self.outcome = outcome
    }
}

/// Status flow of a row: pending → processing (claimed) → done; or back to pending, due later
/// (retry); or dead (a dead letter, which a replay sends back to pending).
///
/// Ordering: rows are claimed in arrival order (append order). A store shared by several nodes
/// must also keep one conversation's rows in that order across nodes (leases).
public protocol InboxStore: AnyObject, Sendable {
    /// Commits the delivery durably, then completes with its id (ids grow in arrival order).
    /// Only after this completion may the webhook be answered 200. `whenHandled`, when given,
    /// is called once whichever worker took the row reports it handled (`releaseHandled`):
    /// the synchronous webhook mode answers only then.
    func append(_ delivery: InboxDelivery, whenHandled: (@Sendable () -> Void)?,
                completion: @escaping StoreCompletion<Int64>)

    /// How many rows a worker should claim and settle at once. The cost model is the store's:
    /// SQLite applies on the thread that also commits webhook appends, so its batches stay small;
    /// PostgreSQL appends on a connection of its own and pays round trips and a commit per batch.
    var claimBatchLimit: Int { get }

    /// Takes up to `limit` due pending rows, oldest first, and marks them processing. The rows
    /// come back with status "processing" and their attempts so far.
    func claimPending(limit: Int, nowMs: Int64, completion: @escaping StoreCompletion<[InboxRow]>)

    /// Settles claimed rows, in the order given. For each row, `apply` runs in a transaction
    /// scope together with marking the row done, so a row is never applied without being marked
    /// done nor marked done without its changes. When `apply` throws, its changes are rolled
    /// back and `onFailure` says whether to retry or dead-letter. A store may call `apply` again
    /// for a row whose earlier call it rolled back (a batch that gave way to row-by-row), so
    /// `apply` must have no effects outside the transaction it is given. Completes after the commit,
    /// so the outputs (events) may be published from the completion.
    func process<Output: Sendable>(
        _ rows: [InboxRow], nowMs: Int64,
        apply: @escaping @Sendable (InboxRow, any ConversationTransaction) throws -> Output,
        onFailure: @escaping @Sendable (InboxRow, any Error) -> InboxFailurePlan,
        completion: @escaping StoreCompletion<[InboxResult<Output>]>)

    /// The worker has settled these rows and published what they caused: calls their
    /// `whenHandled` waiters, wherever they were registered (a store shared by several nodes
    /// forwards this to the node that took the webhook). Separate from `process` so that
    /// publishing and logging run on the worker's thread, not on the store's.
    func releaseHandled(_ rowIDs: [Int64])

    /// Oldest first; replayed letters only when asked, as history.
    func listDeadLetters(includeReplayed: Bool, limit: Int, completion: @escaping StoreCompletion<[DeadLetterRow]>)

    /// Sends the letter's row back to pending (due now, attempts reset) and stamps the letter
    /// replayed. False for an unknown or already replayed letter.
    func replayDeadLetter(id: Int64, nowMs: Int64, completion: @escaping StoreCompletion<Bool>)

    /// Rows left processing by a crash (or by a failed `process` commit) go back to pending,
    /// due at `nowMs`. Returns how many.
    func resetProcessing(nowMs: Int64, completion: @escaping StoreCompletion<Int>)

    /// One row by id, for inspection.
    func inboxRow(id: Int64, completion: @escaping StoreCompletion<InboxRow?>)
}

extension InboxStore {
    public func append(_ delivery: InboxDelivery, completion: @escaping StoreCompletion<Int64>) {
        append(delivery, whenHandled: nil, completion: completion)
    }
}
