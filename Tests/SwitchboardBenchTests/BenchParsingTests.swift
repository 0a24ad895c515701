// The bench's no-I/O parts: URL parsing, the client handshake check, the cheap frame scan,
// pipelined response framing, /proc parsing and the published event bodies.
import WebSocket
import XCTest
@testable import switchboard_bench

final class EndpointTests: XCTestCase {
    func testParsesWebSocketAndHTTPURLs() throws {
        let ws = try Endpoint(parsing: "ws://127.0.0.1:8080/ws?x=1")
        XCTAssertEqual(ws, Endpoint(scheme: .ws, host: "127.0.0.1", port: 8080, target: "/ws?x=1"))
        let http = try Endpoint(parsing: "http://localhost:8090")
        XCTAssertEqual(http, Endpoint(scheme: .http, host: "127.0.0.1", port: 8090, target: "/"))
        let v6 = try Endpoint(parsing: "ws://[::1]:9/a")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.hostHeader, "[::1]:9")
    }

    func testRefusesBadURLs() {
        for bad in ["ftp://1.2.3.4/", "ws://:80/", "ws://1.2.3.4:0/", "ws://1.2.3.4:99999/", "ws://[::1/", "127.0.0.1:80"] {
            XCTAssertThrowsError(try Endpoint(parsing: bad), bad)
        }
    }

    func testTokenIsAddedToTheQuery() {
        XCTAssertEqual(withToken("/ws", "abc"), "/ws?token=abc")
        XCTAssertEqual(withToken("/ws?a=1", "abc"), "/ws?a=1&token=abc")
        XCTAssertEqual(withToken("/ws", ""), "/ws")
    }
}

final class ClientHandshakeTests: XCTestCase {
    private func response(_ status: String, accept: String?) -> [UInt8] {
        var text = "HTTP/1.1 \(status)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        if let accept { text += "sec-websocket-accept:  \(accept)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    func testRequestCarriesKeyAndTarget() {
        let h = ClientHandshake(endpoint: Endpoint(scheme: .ws, host: "127.0.0.1", port: 8080, target: "/ws?token=t"))
        let text = String(decoding: h.request, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("GET /ws?token=t HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"))
        XCTAssertTrue(text.contains("Sec-WebSocket-Key: \(h.key)\r\n"))
        XCTAssertTrue(text.hasSuffix("\r\n\r\n"))
    }

    func testAcceptsA101WithTheRightAcceptAndLeavesFramesAfterIt() {
        let h = ClientHandshake(endpoint: Endpoint(scheme: .ws, host: "127.0.0.1", port: 1, target: "/"))
        let head = response("101 Switching Protocols", accept: WebSocketHandshake.acceptValue(forKey: h.key))
        XCTAssertEqual(h.check(head + [0x81, 0x00]), .upgraded(headLength: head.count))
        XCTAssertEqual(h.check(Array(head.dropLast(2))), .needMore)
    }

    func testRefusesWrongStatusOrAccept() {
        let h = ClientHandshake(endpoint: Endpoint(scheme: .ws, host: "127.0.0.1", port: 1, target: "/"))
        guard case .failed(let f1) = h.check(response("401 Unauthorized", accept: nil)) else { return XCTFail("401 accepted") }
        XCTAssertEqual(f1.code, "handshake_status")
        guard case .failed(let f2) = h.check(response("101 Switching Protocols", accept: "wrong")) else { return XCTFail("bad accept accepted") }
        XCTAssertEqual(f2.code, "handshake_accept")
        guard case .failed(let f3) = h.check(Array("garbage\r\n\r\n".utf8)) else { return XCTFail("garbage accepted") }
        XCTAssertEqual(f3.code, "handshake_malformed")
        guard case .failed(let f4) = h.check([UInt8](repeating: 65, count: ClientHandshake.maxHeadBytes + 1)) else { return XCTFail("endless head") }
        XCTAssertEqual(f4.code, "handshake_too_large")
    }
}

final class FrameScanTests: XCTestCase {
    func testCountsEventsOfABatchAndReadsTheLastStamp() {
        let frame = #"{"op":"batch","topic":"t","events":[{"seq":7,"type":"bench","ts":1,"data":{"bench_ns":"100","pad":"x"}},{"seq":8,"type":"bench","ts":1,"data":{"bench_ns":"200"}},{"seq":9,"type":"bench","ts":1,"data":{"bench_ns":"300","pad":""}}]}"#
        let bytes = Array(frame.utf8)
        XCTAssertTrue(bytes.withUnsafeBytes { FrameScan.isBatch($0) })
        XCTAssertEqual(FrameScan.scan(bytes), FrameScan(events: 3, firstSeq: 7, lastSeq: 9, lastPublishNs: 300))
    }

    func testNchanMessageIsOneEvent() {
        let body = EventBody.nchan(seq: 42, publishNs: 123_456_789, bytes: 100)
        XCTAssertEqual(FrameScan.scan(Array(body.utf8)), FrameScan(events: 1, firstSeq: 42, lastSeq: 42, lastPublishNs: 123_456_789))
    }

    func testNumericStampAndMissingStamp() {
        XCTAssertEqual(FrameScan.scan(Array(#"{"seq": 5,"bench_ns":77}"#.utf8))?.lastPublishNs, 77)
        XCTAssertEqual(FrameScan.scan(Array(#"{"seq":5}"#.utf8)), FrameScan(events: 1, firstSeq: 5, lastSeq: 5, lastPublishNs: nil))
    }

    func testNonEventsAndMalformedSeqs() {
        XCTAssertNil(FrameScan.scan(Array(#"{"op":"pong","id":4}"#.utf8)))
        XCTAssertNil(FrameScan.scan(Array(#"{"seq":"abc"}"#.utf8)))
        XCTAssertNil(FrameScan.scan(Array(#"{"seq":99999999999999999999999}"#.utf8)), "overflow must not trap")
        XCTAssertNil(FrameScan.scan(Array(#""seq":"#.utf8)), "key at the very end")
        XCTAssertNil(FrameScan.scan([]))
        let ack = Array(#"{"op":"ack","id":1,"topics":{"t":{"epoch":"e","seq":57}}}"#.utf8)
        XCTAssertFalse(ack.withUnsafeBytes { FrameScan.isBatch($0) })
        XCTAssertEqual(FrameScan.scan(ack)?.lastSeq, 57)
    }

    func testEventBodiesHaveTheRequestedSizeAndNoSeqOfTheirOwn() {
        let data = EventBody.data(publishNs: 1_000_000, bytes: 100)
        XCTAssertEqual(data.utf8.count, 100)
        XCTAssertFalse(data.contains(#""seq":"#))
        XCTAssertEqual(EventBody.nchan(seq: 1, publishNs: 5, bytes: 100).utf8.count, 100)
        XCTAssertTrue(EventBody.data(publishNs: 1, bytes: 0).hasSuffix(#""pad":""}"#), "tiny sizes still give valid JSON")
    }
}

final class HTTPResponseStreamTests: XCTestCase {
    func testSplitsPipelinedResponses() {
        let one = "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello"
        let two = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"
        let bytes = Array((one + two).utf8)
        guard case .response(let r1, let c1) = HTTPResponseStream.next(bytes) else { return XCTFail("first") }
        XCTAssertEqual(r1.status, 202)
        XCTAssertEqual(r1.body, Array("hello".utf8))
        XCTAssertEqual(c1, one.utf8.count)
        guard case .response(let r2, let c2) = HTTPResponseStream.next(Array(bytes[c1...])) else { return XCTFail("second") }
        XCTAssertEqual(r2.status, 401)
        XCTAssertEqual(c2, two.utf8.count)
    }

    func testWaitsForTheBodyAndRefusesUnframedResponses() {
        XCTAssertEqual(HTTPResponseStream.next(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc".utf8)), .needMore)
        XCTAssertEqual(HTTPResponseStream.next(Array("HTTP/1.1 200 OK\r\n".utf8)), .needMore)
        guard case .failed = HTTPResponseStream.next(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)) else { return XCTFail("chunked") }
        guard case .failed = HTTPResponseStream.next(Array("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n".utf8)) else { return XCTFail("negative") }
        guard case .failed = HTTPResponseStream.next(Array("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n".utf8)) else { return XCTFail("overflow") }
        guard case .response(let r, _) = HTTPResponseStream.next(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)) else { return XCTFail("204") }
        XCTAssertEqual(r.body, [])
    }
}

final class ProcessStatsTests: XCTestCase {
    func testCPUFromAStatLineWithSpacesInTheName() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        let line = "1234 (a b) c) S 1 1 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0"
        XCTAssertEqual(ProcessStats.cpuSeconds(statLine: line, ticksPerSecond: 100), 3.0)
        XCTAssertNil(ProcessStats.cpuSeconds(statLine: "1234 (x) S 1", ticksPerSecond: 100))
        XCTAssertNil(ProcessStats.cpuSeconds(statLine: "no paren", ticksPerSecond: 100))
    }

    func testRSSFromStatus() {
        XCTAssertEqual(ProcessStats.rssBytes(statusText: "Name:\tx\nVmRSS:\t   2048 kB\nThreads: 2\n"), 2048 * 1024)
        XCTAssertNil(ProcessStats.rssBytes(statusText: "Name:\tx\n"))
        XCTAssertNil(ProcessStats.rssBytes(statusText: "VmRSS: lots kB\n"))
    }

    func testOwnCPUAndDescriptorLimit() {
        XCTAssertGreaterThan(ProcessStats.ownCPUSeconds(), 0)
        XCTAssertGreaterThanOrEqual(ProcessStats.raiseDescriptorLimit(), 1024)
        XCTAssertNotNil(ProcessStats.cpuSeconds(pid: getpid()))
        XCTAssertNotNil(ProcessStats.rssBytes(pid: getpid()))
    }
}

final class ReportTests: XCTestCase {
    func testJSONLineIsValidJSONWithTheKeyNumbers() throws {
        var r = FanoutReport(label: "a\"b")
        r.published = 10; r.expected = 100; r.delivered = 90; r.deliverySeconds = 2; r.serverCPU = 0.5
        r.publishError = "x\ny"
        let object = try JSONSerialization.jsonObject(with: Data(r.jsonLine.utf8)) as? [String: Any]
        XCTAssertEqual(object?["label"] as? String, "a\"b")
        XCTAssertEqual(object?["loss"] as? Int, 10)
        XCTAssertEqual(object?["delivered_per_s"] as? Double, 45)
        XCTAssertEqual(object?["delivered_per_server_cpu_s"] as? Double, 180)
        XCTAssertEqual(object?["publish_error"] as? String, "x\ny")
    }

    func testFormatRounds() {
        XCTAssertEqual(format(1.005, 1), "1.0")
        XCTAssertEqual(format(2.5, 0), "3")
        XCTAssertEqual(format(3, 2), "3.00")
        XCTAssertEqual(format(.nan, 2), "0")
    }
}
