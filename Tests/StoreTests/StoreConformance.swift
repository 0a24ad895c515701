// The store conformance suite: what every implementation of the store protocols must do,
// written against the protocols only. An implementation's test class makes a fresh, empty store
// per test and calls each check (see SQLiteConformanceTests); the PostgreSQL store runs the
// same checks against its own factory.
import Foundation
import Store
import XCTest

/// A fresh, empty store for one check, and how to get rid of it afterwards.
struct StoreUnderTest {
    let store: any SwitchboardStore
    let dispose: () -> Void
}

struct StoreConformance {
    let makeStore: () throws -> StoreUnderTest

    /// Runs `check` against a fresh store and disposes of it, also when the check throws.
    func run(_ check: (any SwitchboardStore) throws -> Void) throws {
        let fixture = try makeStore()
        defer { fixture.dispose() }
        try check(fixture.store)
    }
}

/// Blocks the test thread until the store answers; a store that never answers fails the test
/// instead of hanging it.
func answer<T: Sendable>(_ start: (@escaping StoreCompletion<T>) -> Void) throws -> T {
    try StoreWait.result(timeout: .seconds(10), start)
}

/// Short spellings for the calls the checks make over and over.
extension InboxStore {
    @discardableResult
    func appendText(_ text: String, at ms: Int64, whenHandled: (@Sendable () -> Void)? = nil) throws -> Int64 {
        let delivery = InboxDelivery(body: Array(text.utf8), signature: "sig-\(text)", correlationID: "corr-\(text)",
                                     receivedAtMs: ms)
        return try answer { append(delivery, whenHandled: whenHandled, completion: $0) }
    }

    func claim(_ limit: Int, at ms: Int64) throws -> [InboxRow] {
        try answer { claimPending(limit: limit, nowMs: ms, completion: $0) }
    }

    func row(_ id: Int64) throws -> InboxRow? {
        try answer { inboxRow(id: id, completion: $0) }
    }

    /// Settles rows with an apply that succeeds (returning the row id) or fails with `failure`.
    func settle(_ rows: [InboxRow], at ms: Int64, failingWith plan: InboxFailurePlan? = nil,
                apply: (@Sendable (InboxRow, any ConversationTransaction) throws -> Void)? = nil) throws -> [InboxResult<Int64>] {
        try answer { completion in
            process(rows, nowMs: ms, apply: { row, conversations in
                try apply?(row, conversations)
                if plan != nil { throw ConformanceFailure() }
                return row.id
            }, onFailure: { _, _ in plan ?? .deadLetter(reason: "unexpected failure") }, completion: completion)
        }
    }

    func deadLetters(includeReplayed: Bool = false) throws -> [DeadLetterRow] {
        try answer { listDeadLetters(includeReplayed: includeReplayed, limit: 100, completion: $0) }
    }
}

extension ConversationStore {
    func write<T: Sendable>(_ body: @escaping @Sendable (any ConversationTransaction) throws -> T) throws -> T {
        try answer { writeConversations(body, completion: $0) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any ConversationReading) throws -> T) throws -> T {
        try answer { readConversations(body, completion: $0) }
    }
}

struct ConformanceFailure: Error {}

/// Counts calls from any thread; a check can wait (bounded) for a call that a store may make
/// from another thread (or, shared by several nodes, after a notification).
final class CallCounter: @unchecked Sendable {  // guarded by `condition`
    private let condition = NSCondition()
    private var count = 0

    func call() {
        condition.lock()
        count += 1
        condition.broadcast()
        condition.unlock()
    }

    var calls: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// The count once it reached `expected`, or what it was when `timeout` ran out.
    func calls(reaching expected: Int, within timeout: TimeInterval = 10) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while count < expected && condition.wait(until: deadline) {}
        return count
    }
}

extension InboxOutcome {
    /// The outcome's kind, for comparisons that do not care about the payload.
    var kind: String {
        switch self {
        case .done: return "done"
        case .retrying: return "retrying"
        case .deadLettered: return "deadLettered"
        case .skipped: return "skipped"
        }
    }
}
