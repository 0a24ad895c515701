// Test support: drives a parser the way the server's connection code does (keep unconsumed
// bytes, append new data, call again) and records what came out.
import XCTest
@testable import HTTP

enum ParseOutcome: Equatable {
    case request(HTTPRequest)
    case error(HTTPParseError)
}

/// Feeds `chunks` in order; stops at the first error. Checks the consumed count on every call.
func drive(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits(), file: StaticString = #filePath, line: UInt = #line) -> [ParseOutcome] {
    var parser = HTTPRequestParser(limits: limits)
    var pending: [UInt8] = []
    var outcomes: [ParseOutcome] = []
    for chunk in chunks {
        pending += chunk
        feeding: while true {
            let (consumed, result) = pending.withUnsafeBytes { parser.parse($0) }
            XCTAssertTrue(consumed >= 0 && consumed <= pending.count, "consumed \(consumed) of \(pending.count)", file: file, line: line)
            pending.removeFirst(min(max(consumed, 0), pending.count))
            switch result {
            case .needMore: break feeding
            case .request(let request): outcomes.append(.request(request))
            case .error(let error):
                outcomes.append(.error(error))
                return outcomes
            }
        }
    }
    return outcomes
}

func drive(_ text: String, limits: HTTPLimits = HTTPLimits(), file: StaticString = #filePath, line: UInt = #line) -> [ParseOutcome] {
    drive([Array(text.utf8)], limits: limits, file: file, line: line)
}

/// The single request `text` parses to, or nil (with a failure recorded).
func parseRequest(_ text: String, limits: HTTPLimits = HTTPLimits(), file: StaticString = #filePath, line: UInt = #line) -> HTTPRequest? {
    let outcomes = drive(text, limits: limits, file: file, line: line)
    guard outcomes.count == 1, case .request(let request) = outcomes[0] else {
        XCTFail("expected one request, got \(outcomes)", file: file, line: line)
        return nil
    }
    return request
}

/// The error `text` is refused with, or nil if it was not refused.
func parseError(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseError? {
    drive(text, limits: limits).compactMap { outcome -> HTTPParseError? in
        if case .error(let error) = outcome { return error }
        return nil
    }.first
}

/// Parses once without completing; for checking needMore and parser state.
func parseOnce(_ parser: inout HTTPRequestParser, _ text: String) -> (consumed: Int, result: HTTPParseResult) {
    Array(text.utf8).withUnsafeBytes { parser.parse($0) }
}
