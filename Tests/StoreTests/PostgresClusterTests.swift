// Several nodes on one PostgreSQL schema: two PostgresStores with different node ids stand in
// for two `switchboard serve` processes. Leases are short so takeovers happen within a test.
import Foundation
import Postgres
import Store
import XCTest

final class PostgresClusterTests: XCTestCase {
    private var disposals: [() -> Void] = []

    override func tearDown() {
        for dispose in disposals.reversed() { dispose() }
        disposals = []
        super.tearDown()
    }

    /// Two stores (nodes a and b) on one fresh schema.
    private func twoNodes(leaseMs: Int64) throws -> (PostgresStore, PostgresStore) {
        let url = try TestDatabase.url()
        let schema = "cluster_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let a = try PostgresStore(settings: PostgresSettings(url: url, schema: schema, leaseMs: leaseMs, nodeID: "node-a"))
        let b = try PostgresStore(settings: PostgresSettings(url: url, schema: schema, leaseMs: leaseMs, nodeID: "node-b"))
        disposals.append { a.close(); b.close(); PostgresFixture.dropSchema(schema, url: url) }
        return (a, b)
    }

    func testOnlyTheLeaseHolderClaimsAndAppendsFromEitherNodeAreSeen() throws {
        let (a, b) = try twoNodes(leaseMs: 30_000)
        let first = try a.appendText("one", at: 1000)
        let second = try b.appendText("two", at: 1001)
        XCTAssertLessThan(first, second)
        XCTAssertEqual(try a.claim(10, at: 2000).map(\.id), [first, second])
        XCTAssertEqual(try b.claim(10, at: 2000), [], "b must not claim while a holds the inbox lease")
        let third = try b.appendText("three", at: 1002)
        XCTAssertEqual(try a.claim(10, at: 2000).map(\.id), [third])
    }

    func testANodeThatLostItsLeaseCannotApplyAndTheNewHolderAppliesOnce() throws {
        let (a, b) = try twoNodes(leaseMs: 300)
        let id = try a.appendText("payload", at: 1000)
        let claimedByA = try a.claim(10, at: 2000)
        XCTAssertEqual(claimedByA.map(\.id), [id])
        // a stops renewing (paused, or dead): after the lease b takes the row over.
        var claimedByB: [InboxRow] = []
        let deadline = Date().addingTimeInterval(5)
        while claimedByB.isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            claimedByB = try b.claim(10, at: 2000)
        }
        XCTAssertEqual(claimedByB.map(\.id), [id], "b takes over a's claimed row within the lease")
        // a wakes up and tries to finish: refused, and its apply is rolled back.
        let applied = CallCounter()
        let late = try a.settle(claimedByA, at: 3000, apply: { _, conversations in
            applied.call()
            _ = try conversations.findOrCreateConversation(phoneNumberID: "p", waID: "from-a")
        })
        XCTAssertEqual(late.map(\.outcome.kind), ["skipped"])
        let done = try b.settle(claimedByB, at: 3000, apply: { _, conversations in
            _ = try conversations.findOrCreateConversation(phoneNumberID: "p", waID: "from-b")
        })
        XCTAssertEqual(done.map(\.outcome.kind), ["done"])
        XCTAssertEqual(try b.row(id)?.status, "done")
        let customers = try b.read { try $0.conversationPage(limit: 10, before: nil).map(\.waID) }
        XCTAssertEqual(customers, ["from-b"], "a's apply never committed")
    }

    func testTheOutboxIsHandedToOneSenderAtATime() throws {
        let (a, b) = try twoNodes(leaseMs: 300)
        let message = NewOutboundMessage(id: "msg_1", toWaID: "4915100000001", phoneNumberID: "1065", type: "text",
                                         contentJSON: "{\"body\":\"hi\"}", payloadJSON: "{}", preview: "hi",
                                         idempotencyKey: nil, correlationID: nil)
        _ = try answer { b.enqueue(message, nowMs: 1000, completion: $0) }
        XCTAssertEqual(try answer { a.dueHeads(nowMs: 2000, limit: 10, completion: $0) }.rows.map(\.id), ["msg_1"])
        XCTAssertEqual(try answer { b.dueHeads(nowMs: 2000, limit: 10, completion: $0) }.rows, [])
        Thread.sleep(forTimeInterval: 0.5)  // a stops asking: its lease runs out
        XCTAssertEqual(try answer { b.dueHeads(nowMs: 2000, limit: 10, completion: $0) }.rows.map(\.id), ["msg_1"])
        XCTAssertEqual(try answer { a.dueHeads(nowMs: 2000, limit: 10, completion: $0) }.rows, [])
    }

    func testTheSameIdempotencyKeyOnTwoNodesMakesOneRow() throws {
        let (a, b) = try twoNodes(leaseMs: 30_000)
        func message(_ id: String) -> NewOutboundMessage {
            NewOutboundMessage(id: id, toWaID: "4915100000002", phoneNumberID: "1065", type: "text",
                               contentJSON: "{}", payloadJSON: "{}", preview: nil, idempotencyKey: "key-1", correlationID: nil)
        }
        let first = try answer { a.enqueue(message("msg_a"), nowMs: 1000, completion: $0) }
        let second = try answer { b.enqueue(message("msg_b"), nowMs: 1001, completion: $0) }
        guard case .created(let row) = first, case .existing(let again) = second else {
            return XCTFail("expected created then existing, got \(first) and \(second)")
        }
        XCTAssertEqual(again.id, row.id)
    }

    func testMigrationsRunOnceAndANewerSchemaIsRefused() throws {
        let url = try TestDatabase.url()
        let schema = "migr_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        defer { PostgresFixture.dropSchema(schema, url: url) }
        // Nodes starting together: each waits on the advisory lock, the schema is built once.
        let opened = DispatchGroup()
        let failures = CallCounter()
        for node in 0..<4 {
            DispatchQueue.global().async(group: opened) {
                do {
                    let store = try PostgresStore(settings: PostgresSettings(url: url, schema: schema, nodeID: "n\(node)"))
                    store.close()
                } catch {
                    failures.call()
                }
            }
        }
        opened.wait()
        XCTAssertEqual(failures.calls, 0)
        let connection = try PostgresConnection(url: url)
        let versions = try connection.query("SELECT count(*), max(version)::bigint FROM \"\(schema)\".schema_migrations")
        XCTAssertEqual(versions.row(0).int64(0), Int64(PostgresMigrations.latestVersion))
        try connection.query("INSERT INTO \"\(schema)\".schema_migrations (version) VALUES ($1)",
                             [.int(Int64(PostgresMigrations.latestVersion + 1))])
        XCTAssertThrowsError(try PostgresStore(settings: PostgresSettings(url: url, schema: schema, nodeID: "late"))) { error in
            XCTAssertEqual((error as? StoreError)?.code, "schema_too_new")
        }
    }

    func testRowsOfAProcessCutOffByAConnectionLossAreClaimedAgainAfterReconnecting() throws {
        let (a, _) = try twoNodes(leaseMs: 30_000)
        let first = try a.appendText("one", at: 1000)
        let claimed = try a.claim(10, at: 2000)
        XCTAssertEqual(claimed.map(\.id), [first])
        // The server drops every Switchboard session (as a restart does) before the apply.
        let admin = try PostgresConnection(url: try TestDatabase.url())
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'switchboard' AND pid <> pg_backend_pid()
            """)
        XCTAssertThrowsError(try a.settle(claimed, at: 3000)) { error in
            XCTAssertEqual((error as? StoreError)?.code, "unavailable")
        }
        // The next claim reconnects, puts the stranded row back and takes it again.
        var again: [InboxRow] = []
        let deadline = Date().addingTimeInterval(5)
        while again.isEmpty && Date() < deadline {
            again = (try? a.claim(10, at: 4000)) ?? []
            if again.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
        }
        XCTAssertEqual(again.map(\.id), [first])
        XCTAssertEqual(try a.settle(again, at: 5000).map(\.outcome.kind), ["done"])
    }

    func testEventsJournaledWithARowAreHandedToTheNextHolderUntilPublished() throws {
        let (a, b) = try twoNodes(leaseMs: 300)
        let id = try a.appendText("payload", at: 1000)
        let event = JournaledEvent(topic: "conversation.1555", type: "message.received", data: Array("{\"x\":1}".utf8),
                                   correlationID: "corr-1")
        let claimed = try a.claim(10, at: 2000)
        XCTAssertEqual(try a.settle(claimed, at: 3000, apply: { row, conversations in
            try (conversations as? PublicationJournaling)?.journal(inboxID: row.id, events: [event])
        }).map(\.outcome.kind), ["done"])
        // a dies between the commit and the publish: no releaseHandled. b, once it holds the
        // inbox work, is handed the events; a, while it still holds the lease, sees them too.
        XCTAssertEqual(try answer { b.unpublished(limit: 10, completion: $0) }, [], "not the holder yet")
        var pending: [PendingPublication] = []
        let deadline = Date().addingTimeInterval(5)
        while pending.isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            pending = try answer { b.unpublished(limit: 10, completion: $0) }
        }
        XCTAssertEqual(pending, [PendingPublication(inboxID: id, events: [event])])
        b.releaseHandled([id])
        XCTAssertEqual(try answer { b.unpublished(limit: 10, completion: $0) }, [])
    }

    func testABatchJournalsTheEventsOfItsAppliedRowsOnlyInTheirTransaction() throws {
        let (a, _) = try twoNodes(leaseMs: 5000)
        let ids = [try a.appendText("a", at: 1000), try a.appendText("b", at: 1001), try a.appendText("c", at: 1002)]
        let claimed = try a.claim(10, at: 2000)
        let failing = ids[1]
        let results = try answer { completion in
            a.process(claimed, nowMs: 3000, apply: { row, conversations in
                let event = JournaledEvent(topic: "conversation.\(row.id)", type: "message.received", data: Array("{}".utf8),
                                           correlationID: "corr-\(row.id)")
                try (conversations as? PublicationJournaling)?.journal(inboxID: row.id, events: [event])
                if row.id == failing { throw ConformanceFailure() }
                return row.id
            }, onFailure: { _, _ in .retry(atMs: 9_000, reason: "boom") }, completion: completion)
        }
        XCTAssertEqual(results.map(\.outcome.kind), ["done", "retrying", "done"])
        let pending = try answer { a.unpublished(limit: 10, completion: $0) }
        XCTAssertEqual(pending.map(\.inboxID), [ids[0], ids[2]], "the failed row's entry was rolled back with it")
        XCTAssertEqual(pending.map { $0.events.map(\.correlationID) }, [["corr-\(ids[0])"], ["corr-\(ids[2])"]])
    }

    func testMessagesInsertedByABatchReadBackAsTheBatchLastWroteThem() throws {
        let (a, _) = try twoNodes(leaseMs: 5000)
        _ = try a.appendText("a", at: 1000)
        let claimed = try a.claim(10, at: 2000)
        let seen = try answer { completion in
            a.process(claimed, nowMs: 3000, apply: { row, conversations in
                let conversation = try conversations.findOrCreateConversation(phoneNumberID: "PN", waID: "W\(row.id)")
                let id = try XCTUnwrap(try conversations.insertInboundMessage(NewInboundMessage(
                    wamid: "wamid.\(row.id)", conversationID: conversation, type: "text", bodyJSON: "{}", timestampS: 1,
                    errorJSON: "[1]", preview: "p", receivedAtMs: 3000)))
                let fresh = (try conversations.messageStatus(id: id), try conversations.messageErrorJSON(id: id))
                try conversations.setMessageStatus(id: id, status: "read", rank: 3, errorsJSON: nil)
                let read = (try conversations.messageStatus(id: id), try conversations.messageErrorJSON(id: id))
                try conversations.setMessageStatus(id: id, status: "failed", rank: 4, errorsJSON: "[2]")
                let failed = (try conversations.messageStatus(id: id), try conversations.messageErrorJSON(id: id))
                return [fresh, read, failed].map { "\($0.0?.wamid ?? "-") \($0.0?.status ?? "-") \($0.1 ?? "-")" }
            }, onFailure: { _, error in .deadLetter(reason: "\(error)") }, completion: completion)
        }
        guard case .done(let lines)? = seen.first?.outcome else { return XCTFail("\(seen)") }
        let wamid = "wamid.\(claimed[0].id)"
        XCTAssertEqual(lines, ["\(wamid) received [1]", "\(wamid) read [1]", "\(wamid) failed [2]"])
        let stored = try a.read { reading in try reading.messagePage(waID: "W\(claimed[0].id)", limit: 10, before: nil) }
        XCTAssertEqual(stored.map { "\($0.wamid ?? "-") \($0.status ?? "-") \($0.errorJSON ?? "-")" }, ["\(wamid) failed [2]"],
                       "what the batch read back is what it committed")
    }

    func testJournalCodingRoundTripsAndRefusesTruncatedBytes() {
        let events = [JournaledEvent(topic: "t", type: "x", data: [0, 1, 255], correlationID: ""),
                      JournaledEvent(topic: "conversation.é", type: "message.status", data: [], correlationID: "c")]
        let bytes = JournalCoding.encode(events)
        XCTAssertEqual(JournalCoding.decode(bytes), events)
        XCTAssertEqual(JournalCoding.decode([]), [])
        XCTAssertNil(JournalCoding.decode(Array(bytes.dropLast())))
        XCTAssertNil(JournalCoding.decode([0, 0, 0, 9, 1]))
    }
}
