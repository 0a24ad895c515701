// The opaque pagination cursor of the REST lists: a (sort key, row id) pair, base64url-encoded.
import Foundation
import Store

/// Lists are ordered by (key DESC, id DESC); the id breaks ties so that rows sharing a key are
/// never skipped or repeated across pages. Clients must treat the string as opaque; it is
/// base64url without padding so that it needs no escaping in a query string.
struct PageCursor: Equatable {
    var key: Int64
    var id: Int64

    var encoded: String {
        Data("\(key):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Anything that is not exactly what `encoded` produces is a `bad_cursor` error.
    static func decode(_ text: String) throws -> PageCursor {
        guard !text.isEmpty, text.utf8.count <= 64 else {
            throw ConversationsError.badCursor("cursor is empty or too long")
        }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = base64.utf8.count % 4
        if remainder == 1 { throw ConversationsError.badCursor("cursor is not base64url") }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: base64) else {
            throw ConversationsError.badCursor("cursor is not base64url")
        }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let key = Int64(parts[0]), let id = Int64(parts[1]) else {
            throw ConversationsError.badCursor("cursor does not name a position")
        }
        return PageCursor(key: key, id: id)
    }
}

extension PageCursor {
    var pageKey: PageKey { PageKey(key: key, id: id) }
}
