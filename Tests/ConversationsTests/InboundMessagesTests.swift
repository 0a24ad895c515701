// Messages, reactions, contacts and conversations: what InboundApplier stores and announces.
import XCTest
@testable import Conversations
import Store
import WhatsApp

final class InboundMessagesTests: XCTestCase {
    let ana = "15551230001"

    func testEveryMessageTypeYieldsReceivedThenOneUpdatePerConversation() throws {
        let store = try TestStore()
        let payload = try WebhookDecoder.decode(try Fixture.bytes("messages_all_types"))
        let events = try store.apply(fixture: "messages_all_types")

        let received = events.filter { $0.type == "message.received" }
        let reactions = events.filter { $0.type == "message.reaction" }
        let updates = events.filter { $0.type == "conversation.updated" }
        XCTAssertEqual(received.count, payload.messages.count - 2)
        XCTAssertEqual(reactions.count, 2)
        XCTAssertEqual(updates.count, 2, "Ana's conversation and Bob's")
        XCTAssertEqual(Array(events.suffix(2)), updates, "conversation updates come after all their messages")
        XCTAssertTrue(events.allSatisfy { $0.correlationID == "corr-1" })

        // Every non-reaction message, in delivery order, on its sender's topic.
        let expected = payload.messages.filter { $0.type != "reaction" }
        XCTAssertEqual(received.map { $0.object["wamid"] as? String }, expected.map { $0.id })
        XCTAssertEqual(received.map(\.topic), expected.map { "conversation.\($0.from ?? "")" })
        XCTAssertEqual(Set(received.map { $0.object["type"] as? String ?? "" }),
                       Set(expected.map(\.type)))

        // The event's ids resolve in the store.
        let first = received[0].object
        let rowID = try store.count("SELECT id FROM messages WHERE wamid = ?", [.text(expected[0].id)])
        XCTAssertEqual((first["id"] as? NSNumber)?.int64Value, rowID)
        let conversationID = try store.count("SELECT id FROM conversations WHERE wa_id = ?", [.text(ana)])
        XCTAssertEqual((first["conversation_id"] as? NSNumber)?.int64Value, conversationID)
        XCTAssertEqual(first["phone_number_id"] as? String, "106540352242922")
        XCTAssertEqual(first["preview"] as? String, expected[0].content.preview)
        XCTAssertEqual(first["status"] as? String, "received")
        XCTAssertEqual((first["content"] as? [String: Any])?["id"] as? String, expected[0].id)
        XCTAssertEqual((first["context"] as? [String: Any])?["id"] as? String, "wamid.HBgLMTU1NTAwMDk5OTkVAgARGBJCQUQx")
        XCTAssertTrue(received[1].object["context"] is NSNull)

        // Message-level errors are kept on the row and in the event.
        let unsupported = try XCTUnwrap(received.first { $0.object["type"] as? String == "unsupported" }).object
        XCTAssertEqual(((unsupported["errors"] as? [[String: Any]])?.first?["code"] as? NSNumber)?.intValue, 131051)
        let storedErrors = try store.text("SELECT error_json FROM messages WHERE type = 'unsupported'")
        XCTAssertTrue(storedErrors?.contains("131051") == true)

        // Ana's conversation: one unread per non-reaction message, newest preview, the name.
        let fromAna = expected.filter { $0.from == ana }
        let update = try XCTUnwrap(updates.first { $0.object["wa_id"] as? String == ana })
        XCTAssertEqual(update.topic, "inbox")
        let conversation = update.object
        XCTAssertEqual((conversation["unread_count"] as? NSNumber)?.intValue, fromAna.count)
        let newest = try XCTUnwrap(fromAna.max { $0.timestamp < $1.timestamp })
        XCTAssertEqual(conversation["last_message_preview"] as? String, newest.content.preview)
        XCTAssertEqual((conversation["last_message_at"] as? NSNumber)?.int64Value, newest.timestamp * 1000)
        XCTAssertEqual(conversation["name"] as? String, "Ana Souza")
        XCTAssertEqual(conversation["wa_id"] as? String, ana)
        XCTAssertEqual(updates.map { $0.object["wa_id"] as? String }, [ana, "15551230002"], "in order of first touch")
        XCTAssertEqual(try store.count("SELECT count(*) FROM messages"), Int64(payload.messages.count))
    }

    func testTheSamePayloadTwiceChangesNoRowAndYieldsNoEvent() throws {
        let store = try TestStore()
        _ = try store.insertOutbound(wamid: "wamid.OUT1", waID: "15551230001")
        for name in ["messages_all_types", "statuses", "other_field", "username_only", "batch_2x2_three_conversations"] {
            XCTAssertFalse(try store.apply(fixture: name).isEmpty, name)
        }
        let before = try store.snapshot()
        for name in ["messages_all_types", "statuses", "other_field", "username_only", "batch_2x2_three_conversations"] {
            XCTAssertEqual(try store.apply(fixture: name, nowMs: 1_800_000_000_000), [], name)
        }
        XCTAssertEqual(try store.snapshot(), before)
    }

    func testReactionsWithAndWithoutEmojiAreStoredAndAnnouncedAsReactions() throws {
        let store = try TestStore()
        try store.apply(Payload.text(from: ana, wamid: "wamid.M1", timestamp: 1_700_000_000, body: "hello"))
        let added = try store.apply(Payload.reaction(from: ana, wamid: "wamid.R1", timestamp: 1_700_000_010,
                                                     target: "wamid.M1", emoji: "👍"))
        XCTAssertEqual(added.map(\.type), ["message.reaction", "conversation.updated"])
        let reaction = added[0].object
        XCTAssertEqual(added[0].topic, "conversation.\(ana)")
        XCTAssertEqual(reaction["wamid"] as? String, "wamid.R1")
        XCTAssertEqual(reaction["target_wamid"] as? String, "wamid.M1")
        XCTAssertEqual(reaction["emoji"] as? String, "👍")
        XCTAssertEqual(reaction["from"] as? String, ana)

        let removed = try store.apply(Payload.reaction(from: ana, wamid: "wamid.R2", timestamp: 1_700_000_020,
                                                       target: "wamid.M1", emoji: nil))
        XCTAssertEqual(removed.map(\.type), ["message.reaction", "conversation.updated"])
        XCTAssertTrue(removed[0].object["emoji"] is NSNull)

        XCTAssertEqual(try store.count("SELECT count(*) FROM messages WHERE type = 'reaction'"), 2)
        // Reactions move activity, not the preview or the unread count.
        let conversation = removed[1].object
        XCTAssertEqual((conversation["unread_count"] as? NSNumber)?.intValue, 1)
        XCTAssertEqual(conversation["last_message_preview"] as? String, "hello")
        XCTAssertEqual((conversation["last_activity"] as? NSNumber)?.int64Value, 1_700_000_020_000)
    }

    func testBatchOfTwoEntriesTimesTwoChangesTouchesThreeConversations() throws {
        let store = try TestStore()
        let body = try Fixture.bytes("batch_2x2_three_conversations")
        XCTAssertEqual(InboundApplier.conversationKeys(try WebhookDecoder.decode(body)),
                       [ana, "15551230002", "15551230003"])
        let events = try store.apply(body)

        XCTAssertEqual(events.filter { $0.type == "message.received" }.map { $0.object["wamid"] as? String },
                       ["wamid.BATCH_A1", "wamid.BATCH_B1", "wamid.BATCH_A2", "wamid.BATCH_C1"])
        let updates = events.filter { $0.type == "conversation.updated" }
        XCTAssertEqual(updates.map { $0.object["phone_number_id"] as? String }, ["PN_A", "PN_A", "PN_B"])
        XCTAssertEqual(updates.map { $0.object["wa_id"] as? String }, [ana, "15551230002", ana])
        XCTAssertEqual(updates.map { ($0.object["unread_count"] as? NSNumber)?.intValue }, [2, 1, 1])
        XCTAssertEqual(updates[0].object["last_message_preview"] as? String, "A1 second")
        XCTAssertEqual(Array(events.suffix(3)), updates, "updates come after every message of the payload")
        XCTAssertEqual(try store.count("SELECT count(*) FROM conversations"), 3)

        // The status for a message we never stored is recorded and silent; the value-level
        // errors are kept.
        XCTAssertEqual(try store.count("SELECT count(*) FROM statuses WHERE wamid = 'wamid.OUT_NOT_STORED'"), 1)
        XCTAssertFalse(events.contains { $0.type == "message.status" })
        let errors = try XCTUnwrap(try store.text("SELECT value_json FROM webhook_events WHERE field = 'messages.errors'"))
        XCTAssertTrue(errors.contains("131000") && errors.contains("PN_B"), errors)
    }

    func testOtherFieldIsStoredAndYieldsNothing() throws {
        let store = try TestStore()
        let events = try store.apply(fixture: "other_field")
        XCTAssertEqual(events.map(\.type), ["message.received", "conversation.updated"])
        let value = try XCTUnwrap(try store.text(
            "SELECT value_json FROM webhook_events WHERE field = 'message_template_status_update'"))
        XCTAssertTrue(value.contains("APPROVED"), value)
        XCTAssertEqual(try store.count("SELECT received_at_ms FROM webhook_events"), 1_700_000_999_000)
    }

    func testUsernameOnlySenderIsKeyedByUserID() throws {
        let store = try TestStore()
        let userID = "US.13491208655302741918"
        let body = try Fixture.bytes("username_only")
        XCTAssertEqual(InboundApplier.conversationKeys(try WebhookDecoder.decode(body)), [userID])
        let events = try store.apply(body)
        XCTAssertEqual(events.map(\.topic), ["conversation.\(userID)", "inbox"])
        XCTAssertEqual(events[1].object["wa_id"] as? String, userID)
        XCTAssertEqual(events[1].object["name"] as? String, "cool.user")
        XCTAssertEqual(try store.text("SELECT user_id FROM contacts WHERE wa_id = ?", [.text(userID)]), userID)
    }

    func testUnreadCountsGrowPerMessageAndALateOlderMessageKeepsTheNewerPreview() throws {
        let store = try TestStore()
        try store.apply(Payload.text(from: ana, wamid: "wamid.N2", timestamp: 1_700_000_200, body: "newer"))
        let late = try store.apply(Payload.text(from: ana, wamid: "wamid.N1", timestamp: 1_700_000_100, body: "older"))
        let conversation = try XCTUnwrap(late.last).object
        XCTAssertEqual((conversation["unread_count"] as? NSNumber)?.intValue, 2)
        XCTAssertEqual(conversation["last_message_preview"] as? String, "newer")
        XCTAssertEqual((conversation["last_message_at"] as? NSNumber)?.int64Value, 1_700_000_200_000)
        XCTAssertEqual((conversation["last_activity"] as? NSNumber)?.int64Value, 1_700_000_200_000)
    }

    func testAContactRenameTouchesTheConversationOnce() throws {
        let store = try TestStore()
        try store.apply(Payload.text(from: ana, wamid: "wamid.K1", timestamp: 1_700_000_000, body: "hi", name: "Ana"))
        // A redelivery under a new profile name: the message is a duplicate, the name is news.
        let events = try store.apply(Payload.text(from: ana, wamid: "wamid.K1", timestamp: 1_700_000_000, body: "hi",
                                                  name: "Ana Souza"))
        XCTAssertEqual(events.map(\.type), ["conversation.updated"])
        XCTAssertEqual(events[0].object["name"] as? String, "Ana Souza")
    }

    func testAMessageNamingNoSenderIsKeptNotRouted() throws {
        let store = try TestStore()
        let body = Array(#"{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"PN_1"},"messages":[{"id":"wamid.NOBODY","timestamp":"1700000000","type":"text","text":{"body":"who?"}}]}}]}]}"#.utf8)
        XCTAssertEqual(try store.apply(body), [])
        XCTAssertEqual(try store.count("SELECT count(*) FROM webhook_events WHERE field = 'messages.unroutable'"), 1)
        XCTAssertEqual(try store.count("SELECT count(*) FROM conversations"), 0)
    }

    func testAFailingApplyLeavesNothingBehindInTheOuterTransaction() throws {
        let store = try TestStore()
        try store.db.execute("CREATE TRIGGER refuse_second BEFORE INSERT ON messages WHEN NEW.wamid = 'wamid.F2' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        let body = Array(#"{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"PN_1"},"messages":[{"from":"1","id":"wamid.F1","timestamp":"1700000000","type":"text","text":{"body":"a"}},{"from":"1","id":"wamid.F2","timestamp":"1700000001","type":"text","text":{"body":"b"}}]}}]}]}"#.utf8)
        let payload = try WebhookDecoder.decode(body)
        try store.db.transaction {
            XCTAssertThrowsError(try InboundApplier.apply(payload, in: store.conversations, nowMs: 1, correlationID: "c"))
        }
        XCTAssertEqual(try store.count("SELECT count(*) FROM messages"), 0)
        XCTAssertEqual(try store.count("SELECT count(*) FROM conversations"), 0)
    }
}
