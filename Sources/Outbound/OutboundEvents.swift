// The hub events of outbound sending: their topics, types and `data` objects, built in one place
// so the wire shapes clients rely on are easy to find.
import JSON
import Resilience
import Store

enum OutboundEvents {
    static func conversationTopic(_ waID: String) -> String { "conversation." + waID }
    static let healthTopic = "system.health"
    static let alertsTopic = "alerts"

    static func base(_ row: OutboxRow) -> [(String, JSONValue)] {
        [
            ("id", .string(row.id)),
            ("message_id", row.messageID.map { .number(String($0)) } ?? .null),
            ("conversation_id", row.conversationID.map { .number(String($0)) } ?? .null),
            ("to", .string(row.toWaID)),
            ("phone_number_id", .string(row.phoneNumberID)),
            ("type", row.type.map { .string($0) } ?? .null),
        ]
    }

    /// `message.queued`: the row as committed, with the content the agent wrote.
    static func queued(_ row: OutboxRow, contentJSON: String?) -> [UInt8] {
        var content: JSONValue = .null
        if let contentJSON, let parsed = try? JSONParser.parse(Array(contentJSON.utf8), maxDepth: 64) { content = parsed }
        return JSONWriter.encode(.object(base(row) + [
            ("status", .string("queued")),
            ("content", content),
            ("created_at", .number(String(row.createdAtMs))),
        ]))
    }

    static func sent(_ row: OutboxRow, wamid: String, attempts: Int, sentAtMs: Int64) -> [UInt8] {
        JSONWriter.encode(.object(base(row) + [
            ("status", .string("sent")),
            ("wamid", .string(wamid)),
            ("attempts", .number(String(attempts))),
            ("sent_at", .number(String(sentAtMs))),
        ]))
    }

    static func failed(_ row: OutboxRow, attempts: Int, reason: String, error: SendErrorReport) -> [UInt8] {
        JSONWriter.encode(.object(base(row) + [
            ("status", .string("failed")),
            ("code", error.graphCode.map { .number(String($0)) } ?? .null),
            ("title", .string(error.title)),
            ("details", error.details.map { .string($0) } ?? .null),
            ("error", .string(error.reason)),
            ("reason", .string(reason)),
            ("attempts", .number(String(attempts))),
        ]))
    }

    /// `breaker.state_changed` on `system.health`; `open_until` is wall-clock ms (null unless open).
    static func breakerChanged(_ t: BreakerTransition, openUntilWallMs: Int64?) -> [UInt8] {
        JSONWriter.encode(.object([
            ("upstream", .string(SendPlanner.upstream)),
            ("from", .string(t.from.name)),
            ("to", .string(t.to.name)),
            ("reason", .string(t.reason.rawValue)),
            ("open_until", openUntilWallMs.map { .number(String($0)) } ?? .null),
            ("trip_count", .number(String(t.tripCount))),
        ]))
    }

    /// `alert.firing` on `alerts` for operator problems (token, locked account): every later send
    /// fails the same way until someone acts.
    static func criticalAlert(_ row: OutboxRow, error: SendErrorReport, nowMs: Int64) -> [UInt8] {
        JSONWriter.encode(.object([
            ("key", .string("whatsapp.send." + error.reason)),
            ("severity", .string("critical")),
            ("summary", .string("WhatsApp send failed with \(error.reason) (\(error.title)); sending needs operator action")),
            ("labels", .object([
                ("phone_number_id", .string(row.phoneNumberID)),
                ("code", error.graphCode.map { .number(String($0)) } ?? .null),
                ("outbox_id", .string(row.id)),
            ])),
            ("code", error.graphCode.map { .number(String($0)) } ?? .null),
            ("title", .string(error.title)),
            ("details", error.details.map { .string($0) } ?? .null),
            ("firing_since", .number(String(nowMs))),
        ]))
    }
}
