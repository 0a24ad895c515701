// Splits a keep-alive stream of HTTP/1.1 responses (to pipelined publishes) into complete
// responses: head, then Content-Length bytes of body. No I/O.

struct HTTPResponseStream {
    struct Response: Equatable {
        let status: Int
        let statusLine: String
        let body: [UInt8]
    }

    enum Step: Equatable {
        case needMore
        case response(Response, consumed: Int)
        /// Chunked or length-less bodies, or an unreadable head: the stream cannot be framed.
        case failed(String)
    }

    static func next(_ bytes: UnsafeRawBufferPointer) -> Step {
        guard let end = HTTPHead.endOfHead(bytes) else {
            return bytes.count > 64 * 1024 ? .failed("response head larger than 64 KiB") : .needMore
        }
        guard let head = HTTPHead(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) else {
            return .failed("unreadable response head")
        }
        guard let length = head.contentLength else {
            return .failed("response without Content-Length (\(head.statusLine))")
        }
        let (total, overflow) = end.addingReportingOverflow(length)
        guard !overflow else { return .failed("Content-Length too large") }
        guard bytes.count >= total else { return .needMore }
        let body = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[end..<total]))
        return .response(Response(status: head.status, statusLine: head.statusLine, body: body), consumed: total)
    }

    static func next(_ bytes: [UInt8]) -> Step { bytes.withUnsafeBytes { next($0) } }
}
