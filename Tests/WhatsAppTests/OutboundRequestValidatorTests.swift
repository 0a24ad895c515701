// The POST /api/messages validator: every rule names its field, and graphBody has Graph's shape.
import JSON
import XCTest
@testable import WhatsApp

final class OutboundRequestValidatorTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> ValidationError? {
        switch OutboundRequestValidator.validate(json: try parse(text)) {
        case .success(let message):
            XCTFail("expected a validation error, got \(message)", file: file, line: line)
            return nil
        case .failure(let error):
            return error
        }
    }

    private func valid(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> ValidatedMessage? {
        switch OutboundRequestValidator.validate(json: try parse(text)) {
        case .success(let message): return message
        case .failure(let error):
            XCTFail("expected valid, got \(error)", file: file, line: line)
            return nil
        }
    }

    func testEachRuleNamesItsField() throws {
        let long4097 = String(repeating: "a", count: 4097)
        let long1025 = String(repeating: "b", count: 1025)
        let table: [(String, String, String)] = [
            // (body, field, code)
            (#"[1]"#, "$", "wrong_type"),
            (#"{"type":"text","text":{"body":"x"}}"#, "to", "missing"),
            (#"{"to":15551234567,"type":"text","text":{"body":"x"}}"#, "to", "wrong_type"),
            (#"{"to":"","type":"text","text":{"body":"x"}}"#, "to", "invalid"),
            (#"{"to":"+","type":"text","text":{"body":"x"}}"#, "to", "invalid"),
            (#"{"to":"1555-123","type":"text","text":{"body":"x"}}"#, "to", "invalid"),
            (#"{"to":"123456789012345678901","type":"text","text":{"body":"x"}}"#, "to", "invalid"),
            (#"{"to":"1","text":{"body":"x"}}"#, "type", "missing"),
            (#"{"to":"1","type":"location","location":{}}"#, "type", "invalid"),
            (#"{"to":"1","type":7}"#, "type", "wrong_type"),
            (#"{"to":"1","type":"text"}"#, "text", "missing"),
            (#"{"to":"1","type":"text","text":"hi"}"#, "text", "wrong_type"),
            (#"{"to":"1","type":"text","text":{}}"#, "text.body", "missing"),
            (#"{"to":"1","type":"text","text":{"body":""}}"#, "text.body", "invalid"),
            (#"{"to":"1","type":"text","text":{"body":5}}"#, "text.body", "wrong_type"),
            ("{\"to\":\"1\",\"type\":\"text\",\"text\":{\"body\":\"\(long4097)\"}}", "text.body", "too_long"),
            (#"{"to":"1","type":"text","text":{"body":"x","preview_url":"yes"}}"#, "text.preview_url", "wrong_type"),
            (#"{"to":"1","type":"template","template":{"language":{"code":"en"}}}"#, "template.name", "missing"),
            (#"{"to":"1","type":"template","template":{"name":"","language":{"code":"en"}}}"#, "template.name", "invalid"),
            (#"{"to":"1","type":"template","template":{"name":"t"}}"#, "template.language", "missing"),
            (#"{"to":"1","type":"template","template":{"name":"t","language":{}}}"#, "template.language.code", "missing"),
            (#"{"to":"1","type":"template","template":{"name":"t","language":{"code":"en"},"components":{}}}"#, "template.components", "wrong_type"),
            (#"{"to":"1","type":"image","image":{}}"#, "image", "missing"),
            (#"{"to":"1","type":"image","image":{"id":"1","link":"https://x/y.png"}}"#, "image", "invalid"),
            (#"{"to":"1","type":"video","video":{"link":"ftp://x/y.mp4"}}"#, "video.link", "invalid"),
            (#"{"to":"1","type":"video","video":{"link":"https://"}}"#, "video.link", "invalid"),
            (#"{"to":"1","type":"image","image":{"id":""}}"#, "image.id", "invalid"),
            ("{\"to\":\"1\",\"type\":\"image\",\"image\":{\"id\":\"1\",\"caption\":\"\(long1025)\"}}", "image.caption", "too_long"),
            (#"{"to":"1","type":"audio","audio":{"id":"1","caption":"c"}}"#, "audio.caption", "not_allowed"),
            (#"{"to":"1","type":"sticker","sticker":{"id":"1","caption":"c"}}"#, "sticker.caption", "not_allowed"),
            (#"{"to":"1","type":"image","image":{"id":"1","filename":"a.pdf"}}"#, "image.filename", "not_allowed"),
            (#"{"to":"1","type":"document","document":{"id":"1","filename":3}}"#, "document.filename", "wrong_type"),
            (#"{"to":"1","type":"interactive","interactive":{"type":"poll","body":{"text":"x"},"action":{}}}"#, "interactive.type", "invalid"),
            (#"{"to":"1","type":"interactive","interactive":{"body":{"text":"x"},"action":{}}}"#, "interactive.type", "missing"),
            (#"{"to":"1","type":"interactive","interactive":{"type":"button","action":{}}}"#, "interactive.body", "missing"),
            (#"{"to":"1","type":"interactive","interactive":{"type":"button","body":{},"action":{}}}"#, "interactive.body.text", "missing"),
            ("{\"to\":\"1\",\"type\":\"interactive\",\"interactive\":{\"type\":\"list\",\"body\":{\"text\":\"\(long1025)\"},\"action\":{}}}", "interactive.body.text", "too_long"),
            (#"{"to":"1","type":"interactive","interactive":{"type":"button","body":{"text":"x"}}}"#, "interactive.action", "missing"),
            (#"{"to":"1","type":"interactive","interactive":{"type":"button","body":{"text":"x"},"action":[]}}"#, "interactive.action", "wrong_type"),
            (#"{"to":"1","type":"reaction","reaction":{"emoji":"👍"}}"#, "reaction.message_id", "missing"),
            (#"{"to":"1","type":"reaction","reaction":{"message_id":"wamid.A"}}"#, "reaction.emoji", "missing"),
            (#"{"to":"1","type":"reaction","reaction":{"message_id":"wamid.A","emoji":1}}"#, "reaction.emoji", "wrong_type"),
            (#"{"to":"1","type":"text","text":{"body":"x"},"reply_to":"abc"}"#, "reply_to", "invalid"),
            (#"{"to":"1","type":"text","text":{"body":"x"},"reply_to":"wamid."}"#, "reply_to", "invalid"),
            (#"{"to":"1","type":"text","text":{"body":"x"},"reply_to":1}"#, "reply_to", "wrong_type"),
        ]
        for (body, field, code) in table {
            let err = try error(body)
            XCTAssertEqual(err?.field, field, body.prefix(120).description)
            XCTAssertEqual(err?.code, code, body.prefix(120).description)
            XCTAssertFalse(err?.message.isEmpty ?? true)
        }
    }

    func testTextLimitCountsCharactersNotBytes() throws {
        let accented = String(repeating: "é", count: 4096) // 8192 bytes in UTF-8
        XCTAssertNotNil(try valid("{\"to\":\"1\",\"type\":\"text\",\"text\":{\"body\":\"\(accented)\"}}"))
        let caption = String(repeating: "😀", count: 1024)
        XCTAssertNotNil(try valid("{\"to\":\"1\",\"type\":\"image\",\"image\":{\"id\":\"1\",\"caption\":\"\(caption)\"}}"))
    }

    func testAcceptsEveryTypeAndNormalisesRecipient() throws {
        let bodies = [
            #"{"to":"+15551234567","type":"text","text":{"body":"hi","preview_url":true}}"#,
            #"{"to":"1","type":"template","template":{"name":"hello_world","language":{"code":"en_US"},"components":[]}}"#,
            #"{"to":"1","type":"image","image":{"link":"https://example.com/a.png","caption":"c"}}"#,
            #"{"to":"1","type":"video","video":{"id":"123"}}"#,
            #"{"to":"1","type":"audio","audio":{"link":"http://example.com/a.ogg"}}"#,
            #"{"to":"1","type":"document","document":{"id":"9","filename":"a.pdf","caption":"c"}}"#,
            #"{"to":"1","type":"sticker","sticker":{"id":"9"}}"#,
            #"{"to":"1","type":"interactive","interactive":{"type":"cta_url","body":{"text":"x"},"action":{"name":"cta_url"}}}"#,
            #"{"to":"1","type":"reaction","reaction":{"message_id":"wamid.A","emoji":""}}"#,
        ]
        for body in bodies { XCTAssertNotNil(try valid(body), body) }
        XCTAssertEqual(try valid(bodies[0])?.to, "15551234567")
        XCTAssertEqual(try valid(bodies[0])?.type, .text)
    }

    func testGraphBodyShapeWithReplyContext() throws {
        let message = try XCTUnwrap(try valid(#"{"to":"+15551234567","type":"text","text":{"body":"olá","preview_url":false},"reply_to":"wamid.IN1"}"#))
        let bytes = message.graphBody(phoneNumberID: "106540352242922")
        let json = try JSONParser.parse(bytes)
        XCTAssertEqual(json.objectValue?.map(\.0), ["messaging_product", "recipient_type", "to", "type", "text", "context"])
        XCTAssertEqual(json["messaging_product"]?.stringValue, "whatsapp")
        XCTAssertEqual(json["recipient_type"]?.stringValue, "individual")
        XCTAssertEqual(json["to"]?.stringValue, "15551234567")
        XCTAssertEqual(json["type"]?.stringValue, "text")
        XCTAssertEqual(json["text"]?["body"]?.stringValue, "olá")
        XCTAssertEqual(json["text"]?["preview_url"]?.boolValue, false)
        XCTAssertEqual(json["context"]?["message_id"]?.stringValue, "wamid.IN1")
    }

    func testGraphBodyWithoutReplyHasNoContextAndKeepsUncheckedFields() throws {
        let message = try XCTUnwrap(try valid(#"{"to":"1","type":"template","template":{"name":"t","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"A"}]}]}}"#))
        let json = try JSONParser.parse(message.graphBody(phoneNumberID: "1"))
        XCTAssertNil(json["context"])
        XCTAssertEqual(json["type"]?.stringValue, "template")
        XCTAssertEqual(json["template"]?["components"]?.arrayValue?.first?["parameters"]?.arrayValue?.count, 1)
    }
}
