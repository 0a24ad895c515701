// Monotonic status ordering and the inbox-list preview text.
import XCTest
@testable import WhatsApp

final class StatusRankTests: XCTestCase {
    func testRanks() {
        XCTAssertEqual(["sent", "delivered", "read", "played", "failed", "deleted", "whatever"].map(StatusRank.rank), [1, 2, 3, 3, 100, 0, 0])
    }

    func testShouldAdvance() {
        XCTAssertTrue(StatusRank.shouldAdvance(current: nil, incoming: "delivered"))
        XCTAssertTrue(StatusRank.shouldAdvance(current: "sent", incoming: "delivered"))
        XCTAssertTrue(StatusRank.shouldAdvance(current: "sent", incoming: "read"))
        XCTAssertTrue(StatusRank.shouldAdvance(current: "read", incoming: "failed"))
        XCTAssertTrue(StatusRank.shouldAdvance(current: "deleted", incoming: "sent"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "read", incoming: "delivered"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "delivered", incoming: "sent"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "read", incoming: "read"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "read", incoming: "played"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "played", incoming: "read"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "failed", incoming: "read"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "failed", incoming: "failed"))
        XCTAssertFalse(StatusRank.shouldAdvance(current: "sent", incoming: "deleted"))
    }

    /// Applying any arrival order of sent/delivered/read ends at "read".
    func testOutOfOrderArrivalsConverge() {
        let orders = [["sent", "delivered", "read"], ["read", "delivered", "sent"], ["delivered", "read", "sent"], ["read", "sent", "read"]]
        for order in orders {
            var current: String?
            for s in order where StatusRank.shouldAdvance(current: current, incoming: s) { current = s }
            XCTAssertEqual(current, "read", "\(order)")
        }
    }
}

final class PreviewTests: XCTestCase {
    private func media(_ kind: MediaKind, caption: String? = nil, filename: String? = nil, voice: Bool = false) -> MessageContent {
        .media(MediaAttachment(kind: kind, id: "1", mimeType: nil, sha256: nil, caption: caption, filename: filename, url: nil, voice: voice, animated: false))
    }

    func testPreviews() {
        XCTAssertEqual(MessageContent.text(body: "hi\nthere").preview, "hi there")
        XCTAssertEqual(media(.image, caption: "receipt").preview, "[image] receipt")
        XCTAssertEqual(media(.image).preview, "[image]")
        XCTAssertEqual(media(.audio, voice: true).preview, "[voice]")
        XCTAssertEqual(media(.audio).preview, "[audio]")
        XCTAssertEqual(media(.document, filename: "a.pdf").preview, "[document] a.pdf")
        XCTAssertEqual(MessageContent.location(Location(latitude: 1.5, longitude: 2, name: "Home", address: nil, url: nil)).preview, "[location] Home")
        XCTAssertEqual(MessageContent.location(Location(latitude: 1.5, longitude: 2, name: nil, address: nil, url: nil)).preview, "[location] 1.5,2.0")
        XCTAssertEqual(MessageContent.contacts(count: 2, rawJSON: "[]").preview, "[contacts] 2 contacts")
        XCTAssertEqual(MessageContent.interactive(InteractiveReply(type: "button_reply", id: "y", title: "Yes", description: nil, responseJSON: nil)).preview, "[reply] Yes")
        XCTAssertEqual(MessageContent.button(payload: "P", text: "Stop").preview, "[button] Stop")
        XCTAssertEqual(MessageContent.reaction(messageID: "w", emoji: "👍").preview, "[reaction] 👍")
        XCTAssertEqual(MessageContent.reaction(messageID: "w", emoji: nil).preview, "[reaction removed]")
        XCTAssertEqual(MessageContent.order(catalogID: "c", text: nil, itemCount: 3).preview, "[order] 3 items")
        XCTAssertEqual(MessageContent.system(body: "changed number", waID: nil, type: nil).preview, "[system] changed number")
        XCTAssertEqual(MessageContent.unsupported(type: "poll", errors: []).preview, "[unsupported: poll]")
    }

    func testLongTextIsCutOnCharacterBoundaries() {
        let long = String(repeating: "👍🏽", count: 150)
        let preview = MessageContent.text(body: long).preview
        XCTAssertEqual(preview.count, MessageContent.previewLimit + 1)
        XCTAssertTrue(preview.hasSuffix("…"))
        XCTAssertTrue(preview.hasPrefix("👍🏽👍🏽"))
        XCTAssertEqual(MessageContent.text(body: String(repeating: "a", count: 100)).preview.count, 100)
    }
}
