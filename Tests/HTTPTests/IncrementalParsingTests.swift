// Incremental parsing: truncation at every offset, byte-by-byte feeding, pipelining, consumed
// counts, Expect: 100-continue and the state flags the server uses for timeouts.
import XCTest
@testable import HTTP

final class IncrementalParsingTests: XCTestCase {
    private let samples = [
        "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
        "\r\nPOST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nX-Hub-Signature-256: sha256=ab\r\n\r\n{\"a\":\"bc\"}\n",
        "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ]

    func testTruncationAtEveryOffsetNeedsMoreThenYieldsTheSameRequest() throws {
        for sample in samples {
            let bytes = Array(sample.utf8)
            let whole = drive([bytes])
            XCTAssertEqual(whole.count, 1)
            guard case .request = whole.first else { return XCTFail("sample did not parse: \(whole)") }
            for cut in 0..<bytes.count {
                var parser = HTTPRequestParser()
                let first = Array(bytes[..<cut]).withUnsafeBytes { parser.parse($0) }
                guard case .needMore = first.result else { return XCTFail("cut \(cut) of \(sample.debugDescription): \(first.result)") }
                let rest = Array(bytes[first.consumed...])
                let second = rest.withUnsafeBytes { parser.parse($0) }
                XCTAssertEqual(first.consumed + second.consumed, bytes.count, "cut \(cut)")
                guard case .request(let request) = second.result else { return XCTFail("cut \(cut): \(second.result)") }
                XCTAssertEqual(ParseOutcome.request(request), whole[0], "cut \(cut)")
            }
        }
    }

    func testByteByByteFeedingMatchesWholeParse() {
        for sample in samples {
            let bytes = Array(sample.utf8)
            XCTAssertEqual(drive(bytes.map { [$0] }), drive([bytes]), sample.debugDescription)
        }
    }

    func testErrorsAreTheSameWhenFedByteByByte() {
        let bad = [
            "GET / HTTP/1.1\r\nHost: x\r\nX : y\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
            "GET / HTTP/3.0\r\n\r\n",
        ]
        for text in bad {
            let bytes = Array(text.utf8)
            let whole = drive([bytes])
            guard case .error = whole.last else { return XCTFail("expected an error for \(text.debugDescription)") }
            XCTAssertEqual(drive(bytes.map { [$0] }), whole, text.debugDescription)
        }
    }

    func testPipelinedRequestsComeOutOneAtATime() throws {
        let texts = samples.dropLast() + ["DELETE /z HTTP/1.1\r\nHost: x\r\n\r\n"]
        let all = Array(texts.joined().utf8)
        var parser = HTTPRequestParser()
        var offset = 0
        var paths: [String] = []
        for text in texts {
            let (consumed, result) = Array(all[offset...]).withUnsafeBytes { parser.parse($0) }
            XCTAssertEqual(consumed, text.utf8.count)
            guard case .request(let request) = result else { return XCTFail("got \(result)") }
            paths.append(request.path)
            offset += consumed
        }
        XCTAssertEqual(offset, all.count)
        XCTAssertEqual(paths, ["/a", "/webhooks/whatsapp", "/c", "/z"])
        let (consumed, result) = [UInt8]().withUnsafeBytes { parser.parse($0) }
        XCTAssertEqual(consumed, 0)
        guard case .needMore = result else { return XCTFail("got \(result)") }
    }

    func testPipelinedBodyDoesNotSwallowTheNextRequest() throws {
        let outcomes = drive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(outcomes.count, 2)
        guard case .request(let first) = outcomes[0], case .request(let second) = outcomes[1] else { return XCTFail("\(outcomes)") }
        XCTAssertEqual(first.body, Array("abc".utf8))
        XCTAssertEqual(second.path, "/next")
    }

    func testStateFlagsFollowTheRequest() {
        var parser = HTTPRequestParser()
        XCTAssertFalse(parser.isMidRequest)
        _ = parseOnce(&parser, "\r\n")
        XCTAssertFalse(parser.isMidRequest, "leading empty lines are not a request")
        _ = parseOnce(&parser, "G")
        XCTAssertTrue(parser.isMidRequest)
        let headers = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
        let first = parseOnce(&parser, headers + "ab")
        XCTAssertEqual(first.consumed, headers.utf8.count + 2)
        XCTAssertTrue(parser.isMidRequest)
        XCTAssertTrue(parser.headersComplete)
        XCTAssertFalse(parser.wantsContinue)
        let second = parseOnce(&parser, "cd")
        guard case .request(let request) = second.result else { return XCTFail("got \(second.result)") }
        XCTAssertEqual(request.body, Array("abcd".utf8))
        XCTAssertFalse(parser.isMidRequest)
        XCTAssertFalse(parser.headersComplete)
    }

    func testExpectContinueIsSignalledWhileTheBodyIsPending() {
        var parser = HTTPRequestParser()
        let headers = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"
        let first = parseOnce(&parser, headers)
        guard case .needMore = first.result else { return XCTFail("got \(first.result)") }
        XCTAssertTrue(parser.wantsContinue)
        parser.acknowledgeContinue()
        XCTAssertFalse(parser.wantsContinue)
        let second = parseOnce(&parser, "ok")
        guard case .request(let request) = second.result else { return XCTFail("got \(second.result)") }
        XCTAssertEqual(request.body, Array("ok".utf8))
    }

    func testExpectContinueIsNotSignalledWithoutABodyOrForHTTP10() {
        for text in ["GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
                     "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
                     "POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 2\r\n\r\n"] {
            var parser = HTTPRequestParser()
            _ = parseOnce(&parser, text)
            XCTAssertFalse(parser.wantsContinue, text.debugDescription)
        }
        var chunked = HTTPRequestParser()
        _ = parseOnce(&chunked, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        XCTAssertTrue(chunked.wantsContinue)
    }

    func testContinueFlagClearsWhenTheWholeRequestArrivesAtOnce() {
        var parser = HTTPRequestParser()
        let result = parseOnce(&parser, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        guard case .request = result.result else { return XCTFail("got \(result.result)") }
        XCTAssertFalse(parser.wantsContinue)
    }

    func testPartialLineIsNotRescannedFromTheStart() {
        // Feeding a long header one byte at a time must finish quickly (linear, not quadratic).
        let limits = HTTPLimits(maxHeaderBytes: 1 << 20)
        let text = "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 200_000) + "\r\n\r\n"
        let bytes = Array(text.utf8)
        var parser = HTTPRequestParser(limits: limits)
        var pending: [UInt8] = []
        pending.reserveCapacity(bytes.count)
        var calls = 0
        var completed = false
        for byte in bytes {
            pending.append(byte)
            let (consumed, result) = pending.withUnsafeBytes { parser.parse($0) }
            calls += 1
            if consumed > 0 { pending.removeFirst(consumed) }
            if case .request = result { completed = true }
        }
        XCTAssertTrue(completed)
        XCTAssertEqual(calls, bytes.count)
    }
}
