// Topic names and subscription/permission patterns: validation, matching, and containment.

/// A topic is a dotted name: `inbox`, `conversation.<wa_id>`, `alerts`, `system.health`.
///
/// Rules (a wire contract, see Protocol/): one or more non-empty segments separated by `.`; each
/// segment uses only `A-Z a-z 0-9 _ - + @ :` (WhatsApp ids are digits; `+`, `@`, `:` leave room
/// for phone numbers and external ids); at most 200 bytes in total. No wildcards in names.
public enum TopicName {
    public static let maxBytes = 200

    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= maxBytes else { return false }
        var segmentLength = 0
        for c in utf8 {
            if c == UInt8(ascii: ".") {
                guard segmentLength > 0 else { return false }
                segmentLength = 0
            } else if isSegmentByte(c) {
                segmentLength += 1
            } else {
                return false
            }
        }
        return segmentLength > 0
    }

    static func isSegmentByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "@"), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }
}

/// A set of topics: one exact name, every name below a prefix (`conversation.*` matches
/// `conversation.1` and `conversation.a.b`, not `conversation` itself), or everything (`*`).
///
/// The bare `*` exists only for tokens of the ops and service roles; clients may not subscribe
/// with it (`init(_:allowingAll:)` refuses it unless asked) and AccessToken.verify rejects it in
/// agent tokens.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case exact(String)
        /// The prefix including its trailing dot, e.g. "conversation.".
        case below(String)
        case all
    }

    let kind: Kind

    /// Parses `name`, `prefix.*`, or (only with `allowingAll`) `*`. Nil for anything else.
    public init?(_ text: String, allowingAll: Bool = false) {
        if text == "*" {
            guard allowingAll else { return nil }
            kind = .all
        } else if text.utf8.count > 2, text.hasSuffix(".*") {
            let prefix = String(text.utf8.dropLast(2))
            guard let prefix, TopicName.isValid(prefix) else { return nil }
            kind = .below(prefix + ".")
        } else {
            guard TopicName.isValid(text) else { return nil }
            kind = .exact(text)
        }
    }

    /// The pattern as written on the wire and in tokens.
    public var description: String {
        switch kind {
        case let .exact(name): return name
        case let .below(prefix): return prefix + "*"
        case .all: return "*"
        }
    }

    public var isWildcard: Bool {
        if case .exact = kind { return false }
        return true
    }

    public func matches(_ topic: String) -> Bool {
        switch kind {
        case let .exact(name): return topic == name
        case let .below(prefix): return topic.utf8.count > prefix.utf8.count && topic.utf8.starts(with: prefix.utf8)
        case .all: return true
        }
    }

    /// True when every topic `other` matches is also matched by `self`: used to check that a
    /// subscription stays inside what a token allows.
    public func covers(_ other: TopicPattern) -> Bool {
        switch (kind, other.kind) {
        case (.all, _): return true
        case (_, .all): return false
        case let (.exact(a), .exact(b)): return a == b
        case (.exact, .below): return false
        case let (.below, .exact(name)): return matches(name)
        case let (.below(p), .below(q)): return q.utf8.starts(with: p.utf8)
        }
    }

    /// Whether some topic could match both patterns (used for the ops-only topic rules).
    func overlaps(_ other: TopicPattern) -> Bool {
        switch (kind, other.kind) {
        case (.all, _), (_, .all): return true
        case let (.exact(a), .exact(b)): return a == b
        case let (.exact(name), .below): return other.matches(name)
        case let (.below, .exact(name)): return matches(name)
        case let (.below(p), .below(q)): return p.utf8.starts(with: q.utf8) || q.utf8.starts(with: p.utf8)
        }
    }
}
