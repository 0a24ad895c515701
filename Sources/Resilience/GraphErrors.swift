// Lookup of Graph API error codes in the generated table (GraphErrorTable.swift).

/// What Meta documents about one Graph API error code, plus the retry verdict from
/// Protocol/whatsapp-errors.json. Meta says titles and HTTP statuses are unreliable, so
/// decisions are made on `code` and `retryable` only; `title` is for humans.
public struct GraphErrorInfo: Sendable, Hashable {
    public let code: Int
    /// The typical HTTP status in Meta's table; nil where none is documented.
    public let httpStatus: Int?
    public let title: String
    public let meaning: String
    /// True when the same request may succeed later unchanged (after backoff).
    public let retryable: Bool
    public let retryStrategy: String
    /// Meta's grouping: "authorization", "throttling", "integrity", "template", "registration",
    /// "inbound" or "other".
    public let category: String

    public init(
        code: Int, httpStatus: Int?, title: String, meaning: String, retryable: Bool,
        retryStrategy: String, category: String
    ) {
        self.code = code
        self.httpStatus = httpStatus
        self.title = title
        self.meaning = meaning
        self.retryable = retryable
        self.retryStrategy = retryStrategy
        self.category = category
    }
}

public enum GraphErrors {
    private static let byCode: [Int: GraphErrorInfo] = {
        var table: [Int: GraphErrorInfo] = [:]
        for info in all { table[info.code] = info }
        return table
    }()

    /// The documented entry for `code`. Meta documents 200–299 as one permission family, listed
    /// once under 200, so any code in that range answers with the 200 entry.
    public static func info(code: Int) -> GraphErrorInfo? {
        if let exact = byCode[code] { return exact }
        if (200...299).contains(code) { return byCode[200] }
        return nil
    }
}
