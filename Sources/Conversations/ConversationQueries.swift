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
        _ store: any ConversationReading, limit: Int = defaultLimit, before: String? = nil
    ) throws -> (items: [ConversationRow], nextCursor: String?) {
        let limit = clamped(limit)
        let after = try before.map { try PageCursor.decode($0).pageKey }
        let rows = try store.conversationPage(limit: limit + 1, before: after)
        return page(rows, limit: limit) { PageCursor(key: $0.lastActivityMs ?? 0, id: $0.id) }
    }

    /// Every message with this customer (across the business numbers they wrote to), newest
    /// first by Meta's timestamp then id, each with all statuses recorded for it. An unknown
    /// wa_id is an empty page.
    public static func messages(
        _ store: any ConversationReading, waID: String, limit: Int = defaultLimit, before: String? = nil
    ) throws -> (items: [MessageRow], nextCursor: String?) {
        let limit = clamped(limit)
        let after = try before.map { try PageCursor.decode($0).pageKey }
        var result = page(try store.messagePage(waID: waID, limit: limit + 1, before: after), limit: limit) {
            PageCursor(key: $0.timestampS ?? 0, id: $0.id)
        }
        let statuses = try store.statuses(ofWamids: result.items.compactMap(\.wamid))
        result.items = result.items.map { message in
            var message = message
            message.statuses = message.wamid.flatMap { statuses[$0] } ?? []
            return message
        }
        return result
    }

    /// Sets the unread count of this customer's conversations to 0 and returns them as they
    /// now are (empty when the wa_id is unknown). A customer can write to several business
    /// numbers, hence a list; the caller publishes one `conversation.updated` per row.
    public static func markRead(_ store: any ConversationTransaction, waID: String, nowMs: Int64) throws -> [ConversationRow] {
        try store.atomically {
            try store.markRead(waID: waID, nowMs: nowMs)
            return try store.conversations(waID: waID)
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
}
