// Test support: a migrated SQLite file in a temp dir, payload builders and event readers.
import Foundation
import XCTest
@testable import Conversations
import Store
import WhatsApp

enum Fixture {
    static func bytes(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
            "fixture \(name).json not found", file: file, line: line)
        return Array(try Data(contentsOf: url))
    }
}

/// A real database file, removed with its directory when the test object goes away.
final class TestStore {
    let directory: URL
    let db: Database

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        db = try Database(path: directory.appendingPathComponent("store.sqlite").path)
        try Migrations.apply(db)
    }

    /// Conversations' operations on this connection, as the store hands them to a job.
    var conversations: any ConversationTransaction { db.conversations }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Decodes and applies a body the way the worker does: inside an outer transaction.
    @discardableResult
    func apply(_ body: [UInt8], nowMs: Int64 = 1_700_000_999_000) throws -> [DomainEvent] {
        let payload = try WebhookDecoder.decode(body)
        return try db.transaction {
            try InboundApplier.apply(payload, in: conversations, nowMs: nowMs, correlationID: "corr-1")
        }
    }

    @discardableResult
    func apply(fixture name: String, nowMs: Int64 = 1_700_000_999_000) throws -> [DomainEvent] {
        try apply(try Fixture.bytes(name), nowMs: nowMs)
    }

    /// Every row of every table the applier writes, as text, to prove "nothing changed".
    func snapshot() throws -> [String] {
        var lines: [String] = []
        for table in ["contacts", "conversations", "messages", "statuses", "webhook_events"] {
            let statement = try db.prepare("SELECT * FROM \(table) ORDER BY rowid")
            while try statement.step() {
                let columns = (0..<statement.columnCount).map { statement.text($0) ?? "NULL" }
                lines.append(table + "|" + columns.joined(separator: "|"))
            }
        }
        return lines
    }

    func count(_ sql: String, _ values: [SQLValue] = []) throws -> Int64 {
        try db.firstRow(sql, values) { $0.int64(0) } ?? -1
    }

    func text(_ sql: String, _ values: [SQLValue] = []) throws -> String? {
        try db.firstRow(sql, values) { $0.text(0) } ?? nil
    }

    /// Stores an outbound message the way the sender would, in the conversation of `waID`.
    func insertOutbound(wamid: String, waID: String, phoneNumberID: String = "PN_1") throws -> Int64 {
        try db.run("INSERT OR IGNORE INTO conversations (phone_number_id, wa_id) VALUES (?, ?)",
                   [.text(phoneNumberID), .text(waID)])
        try db.run("""
            INSERT INTO messages (wamid, conversation_id, direction, type, status, status_rank)
            SELECT ?, id, 'out', 'text', 'queued', 0 FROM conversations WHERE phone_number_id = ? AND wa_id = ?
            """, [.text(wamid), .text(phoneNumberID), .text(waID)])
        return db.lastInsertRowID
    }
}

enum Payload {
    static func text(from: String, wamid: String, timestamp: Int64, body: String,
                     phoneNumberID: String = "PN_1", name: String? = nil) -> [UInt8] {
        let contacts = name.map { #","contacts":[{"profile":{"name":"\#($0)"},"wa_id":"\#(from)"}]"# } ?? ""
        return messagesChange(phoneNumberID: phoneNumberID, extra: contacts + #","messages":[{"from":"\#(from)","id":"\#(wamid)","timestamp":"\#(timestamp)","type":"text","text":{"body":"\#(body)"}}]"#)
    }

    static func reaction(from: String, wamid: String, timestamp: Int64, target: String, emoji: String?) -> [UInt8] {
        let emojiMember = emoji.map { #","emoji":"\#($0)""# } ?? ""
        return messagesChange(phoneNumberID: "PN_1", extra: #","messages":[{"from":"\#(from)","id":"\#(wamid)","timestamp":"\#(timestamp)","type":"reaction","reaction":{"message_id":"\#(target)"\#(emojiMember)}}]"#)
    }

    static func status(_ wamid: String, _ status: String, timestamp: Int64, recipient: String = "15550001111",
                       errorCode: Int? = nil) -> [UInt8] {
        let errors = errorCode.map { #","errors":[{"code":\#($0),"title":"Re-engagement message","error_data":{"details":"too late"}}]"# } ?? ""
        return messagesChange(phoneNumberID: "PN_1", extra: #","statuses":[{"id":"\#(wamid)","status":"\#(status)","timestamp":"\#(timestamp)","recipient_id":"\#(recipient)"\#(errors)}]"#)
    }

    private static func messagesChange(phoneNumberID: String, extra: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"\#(phoneNumberID)"}\#(extra)}}]}]}"#.utf8)
    }
}

extension DomainEvent {
    /// The data object, parsed with Foundation (independent of the writer under test).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] ?? [:]
    }
}

func parseObject(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
}
