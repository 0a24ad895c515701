// The REST read side: the conversation list, one customer's messages, and mark-as-read.
import Store

/// Reads for the frontend's first load and for paging back. Lists are newest first with an
/// opaque `before` cursor; a page shorter than asked for, or ending exactly at the last row,
/// has a nil `nextCursor`.
public enum ConversationQueries {
    public static let defaultLimit = 50
    public static let limitRange = 1...200

    /// Newest activity first; rows with equal activity are ordered by id (also descending),
    /// so paging is stable under ties. A limit outside 1...200 is clamped into it.
    public static func listConversations(
        _ db: Database, limit: Int = defaultLimit, before: String? = nil
    ) throws -> (items: [ConversationRow], nextCursor: String?) {
        let limit = clamped(limit)
        var sql = "SELECT \(ConversationRow.selectColumns) \(ConversationRow.fromClause)"
        var values: [SQLValue] = []
        if let before {
            let cursor = try PageCursor.decode(before)
            sql += " WHERE (coalesce(c.last_activity_ms, 0) < ?1 OR (coalesce(c.last_activity_ms, 0) = ?1 AND c.id < ?2))"
            values = [.int(cursor.key), .int(cursor.id)]
        }
        sql += " ORDER BY coalesce(c.last_activity_ms, 0) DESC, c.id DESC LIMIT \(limit + 1)"
        let rows = try db.rows(sql, values, ConversationRow.init(row:))
        return page(rows, limit: limit) { PageCursor(key: $0.lastActivityMs ?? 0, id: $0.id) }
    }

    /// Every message with this customer (across the business numbers they wrote to), newest
    /// first by Meta's timestamp then id, each with all statuses recorded for it. An unknown
    /// wa_id is an empty page.
    public static func messages(
        _ db: Database, waID: String, limit: Int = defaultLimit, before: String? = nil
    ) throws -> (items: [MessageRow], nextCursor: String?) {
        let limit = clamped(limit)
        var sql = "SELECT \(MessageRow.selectColumns) \(MessageRow.fromClause) WHERE c.wa_id = ?1"
        var values: [SQLValue] = [.text(waID)]
        if let before {
            let cursor = try PageCursor.decode(before)
            sql += " AND (coalesce(m.timestamp_s, 0) < ?2 OR (coalesce(m.timestamp_s, 0) = ?2 AND m.id < ?3))"
            values += [.int(cursor.key), .int(cursor.id)]
        }
        sql += " ORDER BY coalesce(m.timestamp_s, 0) DESC, m.id DESC LIMIT \(limit + 1)"
        var result = page(try db.rows(sql, values, MessageRow.init(row:)), limit: limit) {
            PageCursor(key: $0.timestampS ?? 0, id: $0.id)
        }
        result.items = try attachStatuses(db, to: result.items)
        return result
    }

    /// Sets the unread count of this customer's conversations to 0 and returns them as they
    /// now are (empty when the wa_id is unknown). A customer can write to several business
    /// numbers, hence a list; the caller publishes one `conversation.updated` per row.
    public static func markRead(_ db: Database, waID: String, nowMs: Int64) throws -> [ConversationRow] {
        try db.transaction {
            try db.run("UPDATE conversations SET unread_count = 0, last_read_at_ms = ? WHERE wa_id = ?",
                       [.int(nowMs), .text(waID)])
            return try db.rows(
                "SELECT \(ConversationRow.selectColumns) \(ConversationRow.fromClause) WHERE c.wa_id = ? ORDER BY c.id",
                [.text(waID)], ConversationRow.init(row:))
        }
    }

    private static func clamped(_ limit: Int) -> Int {
        min(max(limit, limitRange.lowerBound), limitRange.upperBound)
    }

    /// `rows` holds up to limit+1 rows: the extra one only says that another page exists.
    private static func page<Row>(_ rows: [Row], limit: Int, cursor: (Row) -> PageCursor) -> (items: [Row], nextCursor: String?) {
        guard rows.count > limit else { return (rows, nil) }
        let items = Array(rows.prefix(limit))
        return (items, items.last.map { cursor($0).encoded })
    }

    private static func attachStatuses(_ db: Database, to messages: [MessageRow]) throws -> [MessageRow] {
        let wamids = messages.compactMap(\.wamid)
        guard !wamids.isEmpty else { return messages }
        let placeholders = Array(repeating: "?", count: wamids.count).joined(separator: ", ")
        var byWamid: [String: [StatusRow]] = [:]
        _ = try db.rows("""
            SELECT wamid, status, timestamp_s, errors_json FROM statuses
            WHERE wamid IN (\(placeholders)) ORDER BY received_at_ms, rowid
            """, wamids.map(SQLValue.text)) { row in
            byWamid[row.text(0) ?? "", default: []].append(
                StatusRow(status: row.text(1) ?? "", timestampS: row.optionalInt64(2), errorsJSON: row.text(3)))
        }
        return messages.map { message in
            var message = message
            message.statuses = message.wamid.flatMap { byWamid[$0] } ?? []
            return message
        }
    }
}
