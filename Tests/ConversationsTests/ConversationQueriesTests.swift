// The REST reads: cursor pagination (with ties), mark-as-read, the JSON rows, bad cursors.
import Foundation
import XCTest
@testable import Conversations
import Store
import WhatsApp

final class ConversationQueriesTests: XCTestCase {
    /// Five customers; three of them share one activity time, so the cursor must break ties.
    private func seededStore() throws -> TestStore {
        let store = try TestStore()
        let times: [Int64] = [1_700_000_100, 1_700_000_300, 1_700_000_300, 1_700_000_300, 1_700_000_200]
        for (index, time) in times.enumerated() {
            try store.apply(Payload.text(from: "1555000000\(index)", wamid: "wamid.S\(index)", timestamp: time, body: "m\(index)"))
        }
        return store
    }

    func testConversationPagesAreNewestFirstStableUnderTiesAndEndWithNilCursor() throws {
        let store = try seededStore()
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try ConversationQueries.listConversations(store.conversations, limit: 2, before: cursor)
            seen += page.items.map(\.waID)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        XCTAssertEqual(pages, 3)
        // Ties (…01, …02, …03 at the same time) come by id, descending.
        XCTAssertEqual(seen, ["15550000003", "15550000002", "15550000001", "15550000004", "15550000000"])

        let all = try ConversationQueries.listConversations(store.conversations)
        XCTAssertEqual(all.items.map(\.waID), seen)
        XCTAssertNil(all.nextCursor)
        let exact = try ConversationQueries.listConversations(store.conversations, limit: 5)
        XCTAssertNil(exact.nextCursor, "a page ending at the last row has no next cursor")
        XCTAssertEqual(try ConversationQueries.listConversations(store.conversations, limit: 0).items.count, 1, "limit clamps to 1")
    }

    func testMessagePagesAreNewestFirstWithTheirStatuses() throws {
        let store = try TestStore()
        let ana = "15551230001"
        for index in 0..<5 {
            try store.apply(Payload.text(from: ana, wamid: "wamid.P\(index)", timestamp: index < 3 ? 1_700_000_000 : 1_700_000_050 + Int64(index), body: "p\(index)"))
        }
        _ = try store.insertOutbound(wamid: "wamid.POUT", waID: ana)  // no timestamp: oldest
        try store.apply(Payload.status("wamid.POUT", "sent", timestamp: 1_700_000_070, recipient: ana))
        try store.apply(Payload.status("wamid.POUT", "delivered", timestamp: 1_700_000_071, recipient: ana))

        let first = try ConversationQueries.messages(store.conversations, waID: ana, limit: 4)
        XCTAssertEqual(first.items.map(\.wamid), ["wamid.P4", "wamid.P3", "wamid.P2", "wamid.P1"])
        let second = try ConversationQueries.messages(store.conversations, waID: ana, limit: 4, before: first.nextCursor)
        XCTAssertEqual(second.items.map(\.wamid), ["wamid.P0", "wamid.POUT"])
        XCTAssertNil(second.nextCursor)
        let outbound = try XCTUnwrap(second.items.last)
        XCTAssertEqual(outbound.statuses.map(\.status), ["sent", "delivered"])
        XCTAssertEqual(outbound.status, "delivered")

        let json = parseObject(outbound.json())
        XCTAssertEqual(json["direction"] as? String, "out")
        XCTAssertEqual((json["statuses"] as? [[String: Any]])?.map { $0["status"] as? String }, ["sent", "delivered"])
        let inbound = parseObject(first.items[0].json())
        XCTAssertEqual(inbound["preview"] as? String, "p4")
        XCTAssertEqual((inbound["content"] as? [String: Any])?["type"] as? String, "text")
        XCTAssertEqual(inbound["wa_id"] as? String, ana)

        XCTAssertEqual(try ConversationQueries.messages(store.conversations, waID: "nobody").items, [])
    }

    func testMarkReadResetsUnreadAndReturnsTheRowsToAnnounce() throws {
        let store = try TestStore()
        let ana = "15551230001"
        try store.apply(Payload.text(from: ana, wamid: "wamid.U1", timestamp: 1_700_000_001, body: "a", name: "Ana"))
        try store.apply(Payload.text(from: ana, wamid: "wamid.U2", timestamp: 1_700_000_002, body: "b"))
        try store.apply(Payload.text(from: ana, wamid: "wamid.U3", timestamp: 1_700_000_003, body: "c", phoneNumberID: "PN_2"))
        XCTAssertEqual(try ConversationQueries.listConversations(store.conversations).items.map(\.unreadCount).sorted(), [1, 2])

        let rows = try ConversationQueries.markRead(store.conversations, waID: ana, nowMs: 1_700_000_010_000)
        XCTAssertEqual(rows.map(\.phoneNumberID), ["PN_1", "PN_2"])
        XCTAssertEqual(rows.map(\.unreadCount), [0, 0])
        let json = parseObject(rows[0].json())
        XCTAssertEqual((json["unread_count"] as? NSNumber)?.intValue, 0)
        XCTAssertEqual(json["name"] as? String, "Ana")
        XCTAssertEqual(json["last_message_preview"] as? String, "b")
        XCTAssertEqual((json["conversation_id"] as? NSNumber)?.int64Value, rows[0].id)
        XCTAssertEqual(try store.count("SELECT last_read_at_ms FROM conversations WHERE id = ?", [.int(rows[0].id)]), 1_700_000_010_000)

        let next = try store.apply(Payload.text(from: ana, wamid: "wamid.U4", timestamp: 1_700_000_004, body: "d"))
        XCTAssertEqual((next.last?.object["unread_count"] as? NSNumber)?.intValue, 1)
        XCTAssertEqual(try ConversationQueries.markRead(store.conversations, waID: "nobody", nowMs: 1), [])
    }

    func testBadCursorsAreTypedErrors() throws {
        let store = try seededStore()
        let forged = Data("x:y".utf8).base64EncodedString()
        for cursor in ["", "!!!", "a", forged, String(repeating: "A", count: 100), Data("1:2:3".utf8).base64EncodedString()] {
            XCTAssertThrowsError(try ConversationQueries.listConversations(store.conversations, before: cursor), cursor) { error in
                XCTAssertEqual((error as? ConversationsError)?.code, "bad_cursor")
            }
            XCTAssertThrowsError(try ConversationQueries.messages(store.conversations, waID: "15550000000", before: cursor), cursor) { error in
                XCTAssertEqual((error as? ConversationsError)?.code, "bad_cursor")
            }
        }
        let good = try XCTUnwrap(try ConversationQueries.listConversations(store.conversations, limit: 1).nextCursor)
        XCTAssertEqual(try PageCursor.decode(good), PageCursor(key: 1_700_000_300_000, id: 4))
        XCTAssertFalse(good.contains("=") || good.contains("+") || good.contains("/"))
    }
}
