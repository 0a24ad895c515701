// Events published at least once: a store shared by several nodes keeps the events an inbox row
// caused in the same transaction as the row's changes, until the node that applied it confirms
// they were published (`releaseHandled`). If that node dies between commit and publish, the
// next holder of the inbox work publishes them instead.

/// The events of one applied inbox row whose publication was never confirmed.
public struct PendingPublication: Sendable, Equatable {
    public let inboxID: Int64
    public let events: [JournaledEvent]

    public init(inboxID: Int64, events: [JournaledEvent]) {
        self.inboxID = inboxID
        self.events = events
    }
}

public protocol PublicationJournal: AnyObject, Sendable {
    /// Journaled events left unpublished (their node died before `releaseHandled`), oldest row
    /// first; only for the node that holds the inbox work (others get none). Publish them, then
    /// `releaseHandled` their inbox ids.
    func unpublished(limit: Int, completion: @escaping StoreCompletion<[PendingPublication]>)
}

/// A transaction of such a store: records a row's events with the row's changes.
public protocol PublicationJournaling {
    func journal(inboxID: Int64, events: [JournaledEvent]) throws
}
