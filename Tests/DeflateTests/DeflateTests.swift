// Round trips through the permessage-deflate compressor and inflater, the size limit on inflated
// bytes, context takeover across messages and corrupt input.
import Deflate
import XCTest

final class DeflateTests: XCTestCase {
    private func sample(_ n: Int) -> [UInt8] {
        Array(String(repeating: #"{"type":"message.received","data":{"text":"hello there"}},"#, count: n).utf8)
    }

    private func inflate(_ compressed: [UInt8], with inflater: MessageInflater, limit: Int = 1 << 20) -> ([UInt8], InflateOutcome) {
        var out: [UInt8] = []
        var outcome = compressed.withUnsafeBytes { inflater.inflate($0, appendingTo: &out, limit: limit) }
        if outcome == .ok { outcome = inflater.finishMessage(appendingTo: &out, limit: limit) }
        return (out, outcome)
    }

    func testRoundTripAtEveryWindowSize() throws {
        let message = sample(50)
        for bits in 8...15 {
            let deflater = try XCTUnwrap(MessageDeflater(windowBits: bits))
            let compressed = deflater.compress(message)
            // Window 8 is Huffman coding only (no back-references): smaller, but not by much.
            XCTAssertLessThan(compressed.count, bits == 8 ? message.count : message.count / 3, "window \(bits)")
            XCTAssertNotEqual(Array(compressed.suffix(4)), [0, 0, 0xFF, 0xFF], "the sync-flush tail is removed")
            let (out, outcome) = inflate(compressed, with: MessageInflater(keepsContext: false))
            XCTAssertEqual(outcome, .ok)
            XCTAssertEqual(out, message)
        }
    }

    func testEachMessageIsCompressedFromScratch() throws {
        // server_no_context_takeover: the same input gives the same bytes every time.
        let deflater = try XCTUnwrap(MessageDeflater(windowBits: 15))
        let message = sample(10)
        XCTAssertEqual(deflater.compress(message), deflater.compress(message))
        XCTAssertEqual(deflater.compress([]), [0x00])
    }

    func testInvalidWindowIsRefused() {
        XCTAssertNil(MessageDeflater(windowBits: 7))
        XCTAssertNil(MessageDeflater(windowBits: 16))
    }

    func testLimitIsEnforcedOnInflatedSize() throws {
        // 4 MB of zeros compresses to about 4 KB: refused at the 1 MiB limit.
        let deflater = try XCTUnwrap(MessageDeflater(windowBits: 15))
        let bomb = deflater.compress([UInt8](repeating: 0, count: 4_000_000))
        XCTAssertLessThan(bomb.count, 20_000)
        let (out, outcome) = inflate(bomb, with: MessageInflater(keepsContext: false), limit: 1 << 20)
        XCTAssertEqual(outcome, .tooBig)
        XCTAssertLessThanOrEqual(out.count, 1 << 20)
    }

    func testExactlyTheLimitIsAccepted() throws {
        let message = [UInt8](repeating: 65, count: 4096)
        let compressed = try XCTUnwrap(MessageDeflater(windowBits: 15)).compress(message)
        XCTAssertEqual(inflate(compressed, with: MessageInflater(keepsContext: false), limit: 4096).1, .ok)
        XCTAssertEqual(inflate(compressed, with: MessageInflater(keepsContext: false), limit: 4095).1, .tooBig)
    }

    func testCorruptInputIsReported() {
        let (_, outcome) = inflate([0xFF, 0xFF, 0xFF, 0xFF, 0x00], with: MessageInflater(keepsContext: false))
        XCTAssertEqual(outcome, .corrupt)
    }

    /// A client with context takeover refers back to its previous message; the inflater keeps
    /// that window between messages (as a dictionary, not as a live zlib stream).
    func testContextIsKeptAcrossMessagesWhenNegotiated() {
        let first = Array("the quick brown fox jumps over the lazy dog, again and again".utf8)
        // Compress both messages with one stream and sync flushes, as a context-keeping client does.
        let client = MessageDeflater(windowBits: 15, keepsContext: true)!
        let a = client.compress(first), b = client.compress(first)
        XCTAssertLessThan(b.count, a.count, "the second message is a back-reference")
        let keeping = MessageInflater(keepsContext: true)
        XCTAssertEqual(inflate(a, with: keeping).0, first)
        XCTAssertGreaterThan(keeping.idleBytes, 0)
        XCTAssertEqual(inflate(b, with: keeping).0, first)
        let forgetting = MessageInflater(keepsContext: false)
        XCTAssertEqual(inflate(a, with: forgetting).0, first)
        XCTAssertNotEqual(inflate(b, with: forgetting).1, .ok, "without the window the back-reference is invalid")
        XCTAssertEqual(forgetting.idleBytes, 0)
    }

    func testMessageSplitAcrossFramesInflates() throws {
        let message = sample(40)
        let compressed = try XCTUnwrap(MessageDeflater(windowBits: 15)).compress(message)
        let inflater = MessageInflater(keepsContext: false)
        var out: [UInt8] = []
        for chunk in stride(from: 0, to: compressed.count, by: 7) {
            let piece = Array(compressed[chunk..<min(chunk + 7, compressed.count)])
            XCTAssertEqual(piece.withUnsafeBytes { inflater.inflate($0, appendingTo: &out, limit: 1 << 20) }, .ok)
        }
        XCTAssertEqual(inflater.finishMessage(appendingTo: &out, limit: 1 << 20), .ok)
        XCTAssertEqual(out, message)
    }
}
