// Delivery statuses: recorded once per (wamid, status), applied to the message monotonically.
import Store
import WhatsApp

extension ApplyRun {
    /// Yields `message.status` only when the status moved the message forwards.
    mutating func applyStatus(_ update: StatusUpdate) throws {
        let errorsJSON = update.errors.isEmpty ? nil : EventData.errorsText(update.errors)
        let recorded = try store.recordStatus(StatusRecord(
            wamid: update.id, status: update.status, timestampS: update.timestamp, errorsJSON: errorsJSON,
            receivedAtMs: nowMs))
        guard recorded, let target = try store.statusTarget(wamid: update.id) else { return }
        guard StatusRank.shouldAdvance(current: target.currentStatus, incoming: update.status) else { return }

        try RecordedStatuses.write(store: store, messageID: target.messageID, status: update.status, errorsJSON: errorsJSON)
        emit(topic: DomainEvent.conversationTopic(target.waID), type: "message.status", data: EventData.object([
            ("wamid", .string(update.id)),
            ("message_id", .int(target.messageID)),
            ("conversation_id", .int(target.conversationID)),
            ("status", .string(update.status)),
            ("timestamp", .int(update.timestamp)),
            ("errors", EventData.errors(update.errors)),
        ]))
    }
}

/// Statuses that arrived before their message.
enum RecordedStatuses {
    /// Folds every recorded status of the message's wamid into its current status, in arrival
    /// order, with the same monotonic rule as live updates. Returns the new status, or nil.
    static func apply(store: any ConversationTransaction, messageID: Int64) throws -> String? {
        guard let message = try store.messageStatus(id: messageID), let wamid = message.wamid else { return nil }
        var best: StatusRecord?
        for recorded in try store.recordedStatuses(wamid: wamid)
        where StatusRank.shouldAdvance(current: best?.status ?? message.status, incoming: recorded.status) {
            best = recorded
        }
        guard let best else { return nil }
        try write(store: store, messageID: messageID, status: best.status, errorsJSON: best.errorsJSON)
        return best.status
    }

    /// A status's errors replace the message's only when it has some (a "failed" explains why).
    static func write(store: any ConversationTransaction, messageID: Int64, status: String, errorsJSON: String?) throws {
        try store.setMessageStatus(id: messageID, status: status, rank: StatusRank.rank(status), errorsJSON: errorsJSON)
    }
}
