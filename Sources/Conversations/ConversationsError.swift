// The typed error of the Conversations module: a stable code for REST answers and logs.

/// Public errors wrap a private enum so that new cases break no caller's `switch`.
public struct ConversationsError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: String, Sendable {
        case badCursor = "bad_cursor"
    }

    private let kind: Kind
    /// For logs; never echoes the input.
    public let detail: String

    private init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Stable: "bad_cursor".
    public var code: String { kind.rawValue }
    public var description: String { "\(code): \(detail)" }

    /// A `before=` value that this server did not produce (or that was altered).
    public static func badCursor(_ detail: String) -> Self { .init(.badCursor, detail) }
}
