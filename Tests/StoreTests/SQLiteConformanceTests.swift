// The store conformance suite against SQLiteStore: a fresh database file per test.
import Store
import XCTest

final class SQLiteConformanceTests: XCTestCase {
    private let suite = StoreConformance {
        let scratch = try ScratchDirectory()
        let store = try SQLiteStore(path: scratch.path("conformance.sqlite"))
        return StoreUnderTest(store: store, dispose: {
            store.close()
            _ = scratch  // the directory goes once the store has closed its files
        })
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
