import CoreMetrics
import XCTest
@testable import Observability

final class CounterTotalsTests: XCTestCase {
    func testCountersCreatedThroughTheFactoryAddUpByNameAndLabels() {
        let totals = CounterTotals()
        let factory = CountingMetricsFactory(base: NOOPMetricsHandler.instance, totals: totals)
        let metrics = SwitchboardMetrics(factory: factory)
        metrics.webhooksReceived.increment()
        metrics.webhooksReceived.increment(by: 4)
        metrics.inboxProcessed("done").increment(by: 3)
        metrics.inboxProcessed("dead").increment()
        XCTAssertEqual(totals.total("switchboard_webhooks_received_total"), 5)
        XCTAssertEqual(totals.total("switchboard_inbox_processed_total", [("outcome", "done")]), 3)
        XCTAssertEqual(totals.total("switchboard_inbox_processed_total", [("outcome", "dead")]), 1)
        XCTAssertEqual(totals.total("switchboard_inbox_processed_total", [("outcome", "retry")]), 0, "created, never incremented")
        XCTAssertEqual(totals.total("no_such_counter"), 0)
    }

    func testResetAndDestroyLeaveTheTotalsConsistent() {
        let totals = CounterTotals()
        let factory = CountingMetricsFactory(base: NOOPMetricsHandler.instance, totals: totals)
        let handler = factory.makeCounter(label: "c", dimensions: [])
        handler.increment(by: 7)
        XCTAssertEqual(totals.total("c"), 7)
        handler.reset()
        XCTAssertEqual(totals.total("c"), 0)
        handler.increment(by: 2)
        factory.destroyCounter(handler)
        XCTAssertEqual(totals.total("c"), 0, "a destroyed counter no longer counts")
    }
}
