// Every inbound message type from the Cloud API reference, decoded from one real-shaped delivery.
import Foundation
import XCTest
@testable import WhatsApp

final class MessageTypesDecodingTests: XCTestCase {
    var payload: WebhookPayload!
    var byID: [String: InboundMessage] = [:]

    override func setUpWithError() throws {
        payload = try WebhookDecoder.decode(try Fixture.bytes("messages_all_types"))
        byID = Dictionary(payload.messages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    private func message(_ n: Int, file: StaticString = #filePath, line: UInt = #line) throws -> InboundMessage {
        try XCTUnwrap(byID[String(format: "wamid.HBgLMTU1NTEyMzAwMDEVAgASGBQz%04d", n)], "message \(n)", file: file, line: line)
    }

    func testEnvelopeAndSkippedMessage() throws {
        XCTAssertEqual(payload.object, "whatsapp_business_account")
        XCTAssertEqual(payload.changes.count, 1)
        guard case .messages(let change) = payload.changes[0] else { return XCTFail("not a messages change") }
        XCTAssertEqual(change.businessAccountID, "102290129340398")
        XCTAssertEqual(change.phoneNumberID, "106540352242922")
        XCTAssertEqual(change.contacts, [
            Contact(waID: "15551230001", profileName: "Ana Souza", userID: nil),
            Contact(waID: "15551230002", profileName: "Bob", userID: nil),
        ])
        // 22 message objects, one without an id: skipped and reported.
        XCTAssertEqual(payload.messages.count, 21)
        XCTAssertEqual(payload.warnings, ["entry[0].changes[0].value.messages[20]: missing id, skipped"])
    }

    func testCommonFields() throws {
        let m = try message(1)
        XCTAssertEqual(m.from, "15551230001")
        XCTAssertEqual(m.senderID, "15551230001")
        XCTAssertEqual(m.timestamp, 1_700_000_001)
        XCTAssertEqual(m.type, "text")
        XCTAssertEqual(m.phoneNumberID, "106540352242922")
        XCTAssertEqual(m.displayPhoneNumber, "15550009999")
        XCTAssertEqual(m.contact?.profileName, "Ana Souza")
        XCTAssertEqual(m.context, MessageContext(messageID: "wamid.HBgLMTU1NTAwMDk5OTkVAgARGBJCQUQx", from: "15550009999", forwarded: false, frequentlyForwarded: false))
        XCTAssertNil(m.referralJSON)
        XCTAssertTrue(m.rawJSON.contains(#""body":"Hello, is my order ready?""#), m.rawJSON)
        XCTAssertTrue(m.rawJSON.hasPrefix(#"{"context":"#), "keys are sorted: \(m.rawJSON)")
        XCTAssertEqual(try message(22).contact?.profileName, "Bob")
    }

    func testText() throws {
        XCTAssertEqual(try message(1).content, .text(body: "Hello, is my order ready?"))
    }

    func testMedia() throws {
        let sha = "mVdPZ0kN0Rk4OdN8PkN7h6z2sV3b0q0xkD5p0H1sQ2E="
        XCTAssertEqual(try message(2).content, .media(MediaAttachment(kind: .image, id: "1003383421387256", mimeType: "image/jpeg", sha256: sha, caption: "the receipt", filename: nil, url: nil, voice: false, animated: false)))
        XCTAssertEqual(try message(3).content, .media(MediaAttachment(kind: .video, id: "1003383421387257", mimeType: "video/mp4", sha256: sha, caption: nil, filename: nil, url: nil, voice: false, animated: false)))
        XCTAssertEqual(try message(4).content, .media(MediaAttachment(kind: .audio, id: "1003383421387258", mimeType: "audio/ogg; codecs=opus", sha256: sha, caption: nil, filename: nil, url: nil, voice: true, animated: false)))
        XCTAssertEqual(try message(5).content, .media(MediaAttachment(kind: .document, id: "1003383421387259", mimeType: "application/pdf", sha256: sha, caption: "invoice", filename: "invoice-2023.pdf", url: nil, voice: false, animated: false)))
        XCTAssertEqual(try message(6).content, .media(MediaAttachment(kind: .sticker, id: "1003383421387260", mimeType: "image/webp", sha256: sha, caption: nil, filename: nil, url: nil, voice: false, animated: true)))
    }

    func testLocation() throws {
        XCTAssertEqual(try message(7).content, .location(Location(latitude: 38.7223, longitude: -9.1393, name: "Praça do Comércio", address: "1100-148 Lisboa", url: "https://maps.example.com/x")))
    }

    func testContacts() throws {
        guard case .contacts(let count, let raw) = try message(8).content else { return XCTFail("not contacts") }
        XCTAssertEqual(count, 2)
        XCTAssertTrue(raw.contains(#""formatted_name":"Carla Dias""#), raw)
    }

    func testInteractiveReplies() throws {
        XCTAssertEqual(try message(9).content, .interactive(InteractiveReply(type: "button_reply", id: "confirm-yes", title: "Yes", description: nil, responseJSON: nil)))
        XCTAssertEqual(try message(9).context?.messageID, "wamid.ctx9")
        XCTAssertEqual(try message(10).content, .interactive(InteractiveReply(type: "list_reply", id: "slot-3", title: "Tuesday 10:00", description: "Lisbon store", responseJSON: nil)))
        XCTAssertEqual(try message(11).content, .interactive(InteractiveReply(type: "nfm_reply", id: nil, title: "flow", description: "Sent", responseJSON: #"{"flow_token":"abc","rating":"5"}"#)))
    }

    func testButton() throws {
        XCTAssertEqual(try message(12).content, .button(payload: "STOP_PROMOS", text: "Stop promotions"))
    }

    func testReactionWithAndWithoutEmoji() throws {
        XCTAssertEqual(try message(13).content, .reaction(messageID: "wamid.HBgLMTU1NTAwMDk5OTkVAgARGBJCQUQx", emoji: "👍"))
        XCTAssertEqual(try message(14).content, .reaction(messageID: "wamid.HBgLMTU1NTAwMDk5OTkVAgARGBJCQUQx", emoji: nil))
    }

    func testOrder() throws {
        XCTAssertEqual(try message(15).content, .order(catalogID: "cat-778", text: "please gift wrap", itemCount: 2))
    }

    func testSystem() throws {
        XCTAssertEqual(try message(16).content, .system(body: "Ana changed their phone number to a number you can message", waID: "15551239999", type: "user_changed_number"))
    }

    func testUnsupportedUnknownAndNewTypes() throws {
        let unsupported = try message(17)
        XCTAssertEqual(unsupported.type, "unsupported")
        XCTAssertEqual(unsupported.content, .unsupported(type: "edit", errors: [WhatsAppError(code: 131051, title: "Message type unknown", message: "Message type unknown", details: "Message type is currently not supported.", href: nil)]))
        XCTAssertEqual(unsupported.errors.first?.code, 131051)

        guard case .unsupported(let type, let errors) = try message(18).content else { return XCTFail("unknown not unsupported") }
        XCTAssertEqual(type, "unknown")
        XCTAssertEqual(errors.map(\.code), [131051])

        let poll = try message(19)
        XCTAssertEqual(poll.type, "poll")
        XCTAssertEqual(poll.content, .unsupported(type: "poll", errors: []))
        XCTAssertTrue(poll.rawJSON.contains(#""question":"Which day?""#), "the new type is kept for storage")
    }

    func testForwardedWithReferral() throws {
        let m = try message(20)
        XCTAssertEqual(m.context, MessageContext(messageID: nil, from: nil, forwarded: true, frequentlyForwarded: true))
        let referral = try XCTUnwrap(m.referralJSON)
        XCTAssertTrue(referral.contains(#""source_url":"https://fb.me/abc""#), referral)
        XCTAssertTrue(referral.contains(#""ctwa_clid":"ARAk""#), referral)
    }
}
