// The store conformance suite against PostgresStore: a fresh schema per test on the throwaway
// server `make test` starts (SWITCHBOARD_TEST_DATABASE_URL), dropped afterwards.
import Foundation
import Postgres
import Store
import XCTest

/// A schema of its own for one test, and a store over it.
enum PostgresFixture {
    static func makeStore(nodeID: String = "node-a", leaseMs: Int64 = 30_000) throws -> (PostgresStore, String, () -> Void) {
        let url = try TestDatabase.url()
        let schema = "conf_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let store = try PostgresStore(settings: PostgresSettings(url: url, schema: schema, leaseMs: leaseMs, nodeID: nodeID))
        return (store, schema, {
            store.close()
            dropSchema(schema, url: url)
        })
    }

    static func dropSchema(_ schema: String, url: String) {
        if let connection = try? PostgresConnection(url: url) {
            _ = try? connection.execute("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE")
        }
    }
}

final class PostgresConformanceTests: XCTestCase {
    private let suite = StoreConformance {
        let (store, _, dispose) = try PostgresFixture.makeStore()
        return StoreUnderTest(store: store, dispose: dispose)
    }

    func testAppendKeepsEveryDeliveryExactlyAndInArrivalOrder() throws { try suite.appendKeepsEveryDeliveryExactlyAndInArrivalOrder() }
    func testRedeliveredPayloadAppliesOnce() throws { try suite.redeliveredPayloadAppliesOnce() }
    func testClaimTakesDueRowsInArrivalOrder() throws { try suite.claimTakesDueRowsInArrivalOrder() }
    func testProcessMarksAppliedRowsDone() throws { try suite.processMarksAppliedRowsDone() }
    func testFailedApplyIsRolledBackAndRetriedAtItsBackoffTime() throws { try suite.failedApplyIsRolledBackAndRetriedAtItsBackoffTime() }
    func testOneFailingRowOfABatchIsSettledAloneAndTheOthersApplyOnce() throws { try suite.oneFailingRowOfABatchIsSettledAloneAndTheOthersApplyOnce() }
    func testDeadLettersAreListedAndReplayable() throws { try suite.deadLettersAreListedAndReplayable() }
    func testResetProcessingReturnsClaimedRowsToPendingInOrder() throws { try suite.resetProcessingReturnsClaimedRowsToPendingInOrder() }
    func testWhenHandledIsCalledOnceTheWorkerReleasesTheRow() throws { try suite.whenHandledIsCalledOnceTheWorkerReleasesTheRow() }
    func testOldestUnprocessedAgeFollowsTheBacklog() throws { try suite.oldestUnprocessedAgeFollowsTheBacklog() }

    func testEnqueueStoresTheMessageInItsConversation() throws { try suite.enqueueStoresTheMessageInItsConversation() }
    func testEnqueueWithAUsedIdempotencyKeyReturnsTheFirstRow() throws { try suite.enqueueWithAUsedIdempotencyKeyReturnsTheFirstRow() }
    func testDueHeadsKeepEachRecipientInOrder() throws { try suite.dueHeadsKeepEachRecipientInOrder() }
    func testSendResultsMoveRowsAndTheirMessages() throws { try suite.sendResultsMoveRowsAndTheirMessages() }
    func testMarkSentRunsItsExtraWorkInTheSameTransaction() throws { try suite.markSentRunsItsExtraWorkInTheSameTransaction() }
    func testResumeOnStartupLeavesQueuedAndRetryingRowsDue() throws { try suite.resumeOnStartupLeavesQueuedAndRetryingRowsDue() }

    func testConversationsAreFoundOrCreatedOncePerNumberAndCustomer() throws { try suite.conversationsAreFoundOrCreatedOncePerNumberAndCustomer() }
    func testContactsFillInAndReportChanges() throws { try suite.contactsFillInAndReportChanges() }
    func testMessagesAreStoredOncePerWamidAndMoveTheirConversation() throws { try suite.messagesAreStoredOncePerWamidAndMoveTheirConversation() }
    func testStatusesAreRecordedOnceAndFoundByWamid() throws { try suite.statusesAreRecordedOnceAndFoundByWamid() }
    func testConversationPagesRunNewestActivityFirst() throws { try suite.conversationPagesRunNewestActivityFirst() }
    func testMessagePagesRunNewestFirstAcrossNumbers() throws { try suite.messagePagesRunNewestFirstAcrossNumbers() }
    func testMarkReadClearsUnreadOnEveryConversationOfTheCustomer() throws { try suite.markReadClearsUnreadOnEveryConversationOfTheCustomer() }
    func testAtomicallyUndoesOnlyItsOwnWrites() throws { try suite.atomicallyUndoesOnlyItsOwnWrites() }
    func testAFailedWriteCommitsNothing() throws { try suite.aFailedWriteCommitsNothing() }

    func testHealthProbeReadsBackWhatWasWritten() throws { try suite.healthProbeReadsBackWhatWasWritten() }
    func testOutboxDepthCountsUnfinishedAndFailedRows() throws { try suite.outboxDepthCountsUnfinishedAndFailedRows() }
}
