// The PostgreSQL side of Conversations: the same rows as SQLiteConversations, in PostgreSQL's
// dialect ($n parameters, greatest(), IS DISTINCT FROM, an explicit seq instead of rowid).
import Postgres

/// Valid only inside the job it was created for: it wraps that job's session.
final class PostgresConversations: ConversationTransaction {
    let db: PostgresSession
    /// Inside PostgresBatchApply's batch savepoint: a failure anywhere rolls the whole batch back,
    /// so `atomically` needs no savepoint of its own and journal entries wait for one INSERT.
    private let batched: Bool
    private var journalBuffer: [(inboxID: Int64, events: [UInt8])] = []
    /// Batched mode: the messages this batch inserted, as this transaction last wrote them. No
    /// other session can see (or change) them before the commit, and every later write to them
    /// in the batch goes through `setMessageStatus` here, so reading them back needs no query.
    private var insertedMessages: [Int64: InsertedMessage] = [:]

    private struct InsertedMessage {
        let wamid: String
        var status: String
        var errorJSON: String?
    }

    init(_ db: PostgresSession, batched: Bool = false) {
        self.db = db
        self.batched = batched
    }

    // MARK: reading

    func conversationPage(limit: Int, before: PageKey?) throws -> [ConversationRow] {
        var sql = "SELECT \(Self.conversationColumns) \(Self.conversationFrom)"
        var values: [PostgresValue] = []
        if let before {
            sql += " WHERE (coalesce(c.last_activity_ms, 0) < $1 OR (coalesce(c.last_activity_ms, 0) = $1 AND c.id < $2))"
            values = [.int(before.key), .int(before.id)]
        }
        sql += " ORDER BY coalesce(c.last_activity_ms, 0) DESC, c.id DESC LIMIT \(max(0, limit))"
        return try db.rows(sql, values, Self.conversationRow)
    }

    func messagePage(waID: String, limit: Int, before: PageKey?) throws -> [MessageRow] {
        var sql = "SELECT \(Self.messageColumns) \(Self.messageFrom) WHERE c.wa_id = $1"
        var values: [PostgresValue] = [.text(waID)]
        if let before {
            sql += " AND (coalesce(m.timestamp_s, 0) < $2 OR (coalesce(m.timestamp_s, 0) = $2 AND m.id < $3))"
            values += [.int(before.key), .int(before.id)]
        }
        sql += " ORDER BY coalesce(m.timestamp_s, 0) DESC, m.id DESC LIMIT \(max(0, limit))"
        return try db.rows(sql, values, Self.messageRow)
    }

    func statuses(ofWamids wamids: [String]) throws -> [String: [StatusRow]] {
        guard !wamids.isEmpty else { return [:] }
        let placeholders = (1...wamids.count).map { "$\($0)" }.joined(separator: ", ")
        var byWamid: [String: [StatusRow]] = [:]
        _ = try db.rows("""
            SELECT wamid, status, timestamp_s, errors_json FROM statuses
            WHERE wamid IN (\(placeholders)) ORDER BY received_at_ms, seq
            """, wamids.map(PostgresValue.text)) { row in
            byWamid[row.text(0) ?? "", default: []].append(
                StatusRow(status: row.text(1) ?? "", timestampS: row.optionalInt64(2), errorsJSON: row.text(3)))
        }
        return byWamid
    }

    func conversation(id: Int64) throws -> ConversationRow? {
        try db.firstRow("SELECT \(Self.conversationColumns) \(Self.conversationFrom) WHERE c.id = $1", [.int(id)],
                        Self.conversationRow)
    }

    func conversations(waID: String) throws -> [ConversationRow] {
        try db.rows("SELECT \(Self.conversationColumns) \(Self.conversationFrom) WHERE c.wa_id = $1 ORDER BY c.id",
                    [.text(waID)], Self.conversationRow)
    }

    // MARK: writing

    func atomically<T>(_ body: () throws -> T) throws -> T {
        if batched { return try body() }
        return try db.transaction(body)
    }

    func markRead(waID: String, nowMs: Int64) throws {
        try db.run("UPDATE conversations SET unread_count = 0, last_read_at_ms = $1 WHERE wa_id = $2",
                   [.int(nowMs), .text(waID)])
    }

    func upsertContact(key: String, profileName: String?, userID: String?, nowMs: Int64) throws -> Bool {
        try db.run("""
            INSERT INTO contacts (wa_id, profile_name, user_id, updated_at_ms) VALUES ($1, $2, $3, $4)
            ON CONFLICT (wa_id) DO UPDATE SET
                profile_name = coalesce(excluded.profile_name, contacts.profile_name),
                user_id = coalesce(excluded.user_id, contacts.user_id),
                updated_at_ms = excluded.updated_at_ms
            WHERE coalesce(excluded.profile_name, contacts.profile_name) IS DISTINCT FROM contacts.profile_name
               OR coalesce(excluded.user_id, contacts.user_id) IS DISTINCT FROM contacts.user_id
            """, [.text(key), .optionalText(profileName), .optionalText(userID), .int(nowMs)]) > 0
    }

    func conversationIDs(waID: String) throws -> [Int64] {
        try db.rows("SELECT id FROM conversations WHERE wa_id = $1 ORDER BY id", [.text(waID)]) { $0.int64(0) }
    }

    func storeWebhookEvent(field: String, valueJSON: String, nowMs: Int64) throws {
        try db.run("""
            INSERT INTO webhook_events (field, value_json, received_at_ms) VALUES ($1, $2, $3)
            ON CONFLICT (field, md5(value_json)) DO NOTHING
            """, [.text(field), .text(valueJSON), .int(nowMs)])
    }

    func messageExists(wamid: String) throws -> Bool {
        try db.firstRow("SELECT 1 FROM messages WHERE wamid = $1", [.text(wamid)]) { _ in true } ?? false
    }

    func findOrCreateConversation(phoneNumberID: String, waID: String) throws -> Int64 {
        try PostgresOutbox.findOrCreateConversation(db, phoneNumberID: phoneNumberID, waID: waID)
    }

    func insertInboundMessage(_ message: NewInboundMessage) throws -> Int64? {
        let id = try db.firstRow("""
            INSERT INTO messages (wamid, conversation_id, direction, type, body_json, timestamp_s,
                                  status, status_rank, error_json, created_at_ms, preview)
            VALUES ($1, $2, 'in', $3, $4, $5, 'received', 0, $6, $7, $8)
            ON CONFLICT (wamid) DO NOTHING
            RETURNING id
            """, [.text(message.wamid), .int(message.conversationID), .text(message.type), .text(message.bodyJSON),
                  .int(message.timestampS), .optionalText(message.errorJSON), .int(message.receivedAtMs),
                  .text(message.preview)]) { $0.int64(0) }
        if batched, let id {
            insertedMessages[id] = InsertedMessage(wamid: message.wamid, status: "received", errorJSON: message.errorJSON)
        }
        return id
    }

    func messageErrorJSON(id: Int64) throws -> String? {
        if let inserted = insertedMessages[id] { return inserted.errorJSON }
        return try db.firstRow("SELECT error_json FROM messages WHERE id = $1", [.int(id)]) { $0.text(0) } ?? nil
    }

    func recordNewMessage(conversationID: Int64, atMs: Int64, preview: String) throws {
        try db.run("""
            UPDATE conversations SET
                last_message_preview = CASE WHEN last_message_at_ms IS NULL OR $1 >= last_message_at_ms
                                            THEN $2 ELSE last_message_preview END,
                last_message_at_ms = greatest(coalesce(last_message_at_ms, $1), $1),
                unread_count = unread_count + 1,
                last_activity_ms = greatest(coalesce(last_activity_ms, $1), $1)
            WHERE id = $3
            """, [.int(atMs), .text(preview), .int(conversationID)])
    }

    func recordActivity(conversationID: Int64, atMs: Int64) throws {
        try db.run("""
            UPDATE conversations SET last_activity_ms = greatest(coalesce(last_activity_ms, $1), $1) WHERE id = $2
            """, [.int(atMs), .int(conversationID)])
    }

    func recordStatus(_ status: StatusRecord) throws -> Bool {
        try db.firstRow("""
            INSERT INTO statuses (wamid, status, timestamp_s, errors_json, received_at_ms) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (wamid, status) DO NOTHING
            RETURNING 1
            """, [.text(status.wamid), .text(status.status), .int(status.timestampS), .optionalText(status.errorsJSON),
                  .int(status.receivedAtMs)]) { _ in true } ?? false
    }

    func statusTarget(wamid: String) throws -> StatusTarget? {
        try db.firstRow("""
            SELECT m.id, m.status, m.conversation_id, c.wa_id FROM messages m
            JOIN conversations c ON c.id = m.conversation_id WHERE m.wamid = $1
            """, [.text(wamid)]) {
            StatusTarget(messageID: $0.int64(0), currentStatus: $0.text(1), conversationID: $0.int64(2), waID: $0.text(3) ?? "")
        }
    }

    func messageStatus(id: Int64) throws -> MessageStatus? {
        if let inserted = insertedMessages[id] { return MessageStatus(wamid: inserted.wamid, status: inserted.status) }
        return try db.firstRow("SELECT wamid, status FROM messages WHERE id = $1", [.int(id)]) {
            MessageStatus(wamid: $0.text(0), status: $0.text(1))
        }
    }

    func recordedStatuses(wamid: String) throws -> [StatusRecord] {
        try db.rows("""
            SELECT status, timestamp_s, errors_json, received_at_ms FROM statuses WHERE wamid = $1
            ORDER BY received_at_ms, seq
            """, [.text(wamid)]) {
            StatusRecord(wamid: wamid, status: $0.text(0) ?? "", timestampS: $0.int64(1), errorsJSON: $0.text(2),
                         receivedAtMs: $0.int64(3))
        }
    }

    func setMessageStatus(id: Int64, status: String, rank: Int, errorsJSON: String?) throws {
        try db.run("""
            UPDATE messages SET status = $1, status_rank = $2, error_json = coalesce($3, error_json) WHERE id = $4
            """, [.text(status), .int(Int64(rank)), .optionalText(errorsJSON), .int(id)])
        if var inserted = insertedMessages[id] {
            inserted.status = status
            inserted.errorJSON = errorsJSON ?? inserted.errorJSON
            insertedMessages[id] = inserted
        }
    }

    // MARK: row mapping (the same columns as SQLiteConversations)

    static let conversationColumns = SQLiteConversations.conversationColumns
    static let conversationFrom = SQLiteConversations.conversationFrom

    static func conversationRow(_ row: PostgresRow) -> ConversationRow {
        ConversationRow(
            id: row.int64(0), phoneNumberID: row.text(1) ?? "", waID: row.text(2) ?? "",
            name: row.text(3), lastMessagePreview: row.text(4), lastMessageAtMs: row.optionalInt64(5),
            unreadCount: row.int64(6), lastActivityMs: row.optionalInt64(7))
    }

    static let messageColumns = SQLiteConversations.messageColumns
    static let messageFrom = SQLiteConversations.messageFrom

    static func messageRow(_ row: PostgresRow) -> MessageRow {
        MessageRow(
            id: row.int64(0), wamid: row.text(1), conversationID: row.int64(2), waID: row.text(3) ?? "",
            phoneNumberID: row.text(4) ?? "", direction: row.text(5) ?? "in", type: row.text(6),
            bodyJSON: row.text(7), preview: row.text(8), timestampS: row.optionalInt64(9),
            status: row.text(10), errorJSON: row.text(11), statuses: [])
    }
}

extension PostgresConversations: PublicationJournaling {
    func journal(inboxID: Int64, events: [JournaledEvent]) throws {
        guard !events.isEmpty else { return }
        if batched {
            journalBuffer.removeAll { $0.inboxID == inboxID }
            journalBuffer.append((inboxID, JournalCoding.encode(events)))
            return
        }
        try db.run("""
            INSERT INTO pending_publications (inbox_id, events, created_at_ms)
            VALUES ($1, $2, \(PostgresInbox.databaseNowMs))
            ON CONFLICT (inbox_id) DO UPDATE SET events = excluded.events
            """, [.int(inboxID), .bytes(JournalCoding.encode(events))])
    }

    /// Writes the buffered journal entries (batched mode); called once at the end of the batch.
    func flushJournal() throws {
        defer { journalBuffer = [] }
        try PostgresBatchApply.insertJournal(db, journalBuffer)
    }
}
