// Statuses, batches, other webhook fields, username-only senders and wire escaping.
import XCTest
@testable import WhatsApp

final class DeliveryDecodingTests: XCTestCase {
    func testStatuses() throws {
        let payload = try WebhookDecoder.decode(try Fixture.bytes("statuses"))
        XCTAssertTrue(payload.messages.isEmpty)
        XCTAssertEqual(payload.warnings, [])
        let statuses = payload.statuses
        XCTAssertEqual(statuses.map(\.status), ["sent", "delivered", "read", "failed", "played"])
        XCTAssertEqual(statuses.map(\.timestamp), [1_700_000_100, 1_700_000_101, 1_700_000_102, 1_700_000_103, 1_700_000_104])
        XCTAssertEqual(statuses.map(\.id), ["wamid.OUT1", "wamid.OUT1", "wamid.OUT1", "wamid.OUT2", "wamid.OUT3"])

        let sent = statuses[0]
        XCTAssertEqual(sent.recipientID, "15551230001")
        XCTAssertEqual(sent.phoneNumberID, "106540352242922")
        XCTAssertEqual(sent.callbackData, "ticket-42")
        XCTAssertEqual(sent.conversationJSON, #"{"expiration_timestamp":"1700086400","id":"CONVERSATION_ID","origin":{"type":"service"}}"#)
        XCTAssertEqual(sent.pricingJSON, #"{"billable":true,"category":"service","pricing_model":"CBP"}"#)
        XCTAssertNil(statuses[2].conversationJSON)

        let failed = statuses[3]
        XCTAssertEqual(failed.errors, [WhatsAppError(
            code: 131047, title: "Re-engagement message", message: "Re-engagement message",
            details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/")])
    }

    func testBatchOfTwoEntriesWithTwoChangesEach() throws {
        let payload = try WebhookDecoder.decode(try Fixture.bytes("batch_2x2"))
        XCTAssertEqual(payload.changes.count, 4)
        var seen: [(String?, String?)] = []
        for change in payload.changes {
            guard case .messages(let value) = change else { return XCTFail("unexpected field") }
            seen.append((value.businessAccountID, value.phoneNumberID))
        }
        XCTAssertEqual(seen.map(\.0), ["WABA_A", "WABA_A", "WABA_B", "WABA_B"])
        XCTAssertEqual(seen.map(\.1), ["PN_A1", "PN_A2", "PN_B1", "PN_B2"])
        XCTAssertEqual(payload.messages.map(\.content), [.text(body: "A1"), .text(body: "B1"), .text(body: "B1 again")])
        XCTAssertEqual(payload.messages.map(\.phoneNumberID), ["PN_A1", "PN_B1", "PN_B1"])
        XCTAssertEqual(payload.statuses.map(\.id), ["wamid.OUTA2"])
        XCTAssertEqual(payload.statuses.first?.phoneNumberID, "PN_A2")
        XCTAssertEqual(payload.errors.map(\.code), [131000])
        XCTAssertEqual(payload.errors.first?.details, "internal")
        XCTAssertEqual(payload.contacts.count, 2)
    }

    func testOtherFieldIsStoredNotFailed() throws {
        let payload = try WebhookDecoder.decode(try Fixture.bytes("other_field"))
        XCTAssertEqual(payload.changes.count, 2)
        guard case .otherField(let field, let json) = payload.changes[0] else { return XCTFail("expected otherField") }
        XCTAssertEqual(field, "message_template_status_update")
        XCTAssertTrue(json.contains(#""event":"APPROVED""#), json)
        XCTAssertTrue(json.contains(#""message_template_id":594425479261596"#), json)
        XCTAssertTrue(json.contains(#""reason":null"#), json)
        XCTAssertEqual(payload.messages.map(\.content), [.text(body: "after template")])
    }

    func testUsernameOnlySenderWithoutFrom() throws {
        let payload = try WebhookDecoder.decode(try Fixture.bytes("username_only"))
        let m = try XCTUnwrap(payload.messages.first)
        XCTAssertNil(m.from)
        XCTAssertEqual(m.fromUserID, "US.13491208655302741918")
        XCTAssertEqual(m.senderID, "US.13491208655302741918")
        XCTAssertEqual(m.contact, Contact(waID: nil, profileName: "cool.user", userID: "US.13491208655302741918"))
        XCTAssertEqual(payload.warnings, [])
    }

    func testWireEscapesAreDecoded() throws {
        let bytes = try Fixture.bytes("wire_escaped")
        let wire = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(wire.contains(#"Zo\u00e9"#) && wire.contains(#"\ud83d\ude00"#) && wire.contains(#"http:\/\/"#))
        let payload = try WebhookDecoder.decode(bytes)
        XCTAssertEqual(payload.contacts.first?.profileName, "Zoé")
        XCTAssertEqual(payload.messages.first?.content, .text(body: "Café 😀 http://example.com/a/b"))
        XCTAssertEqual(payload.messages.first?.contact?.profileName, "Zoé")
        // Storage form keeps readable characters and slashes.
        XCTAssertTrue(payload.messages.first?.rawJSON.contains("Café 😀 http://example.com/a/b") == true)
    }
}

/// The Python simulator (clients/python/switchboard_sim) and this decoder must agree: a body it
/// generated with every message and status type decodes with no warnings and nothing lost.
final class SimulatorContractTests: XCTestCase {
    func testSimulatorGeneratedBodyDecodesCompletely() throws {
        let payload = try WebhookDecoder.decode(try Fixture.bytes("simulator_every_type"))
        XCTAssertEqual(payload.warnings, [])
        XCTAssertEqual(payload.messages.map(\.type), [
            "text", "image", "video", "audio", "document", "sticker", "location", "contacts",
            "interactive", "button", "reaction", "order", "system", "unsupported", "unknown", "poll",
        ])
        for message in payload.messages {
            if case .unsupported = message.content {
                XCTAssertTrue(["unsupported", "unknown", "poll"].contains(message.type), message.type)
            }
            XCTAssertNotNil(message.from)
            XCTAssertGreaterThan(message.timestamp, 0)
        }
        XCTAssertEqual(payload.statuses.map(\.status), ["sent", "delivered", "read", "failed", "played"])
        XCTAssertEqual(payload.statuses.first { $0.status == "failed" }?.errors.first?.code, 131047)
        XCTAssertEqual(payload.changes.filter { if case .otherField = $0 { return true } else { return false } }.count, 1)
    }
}
