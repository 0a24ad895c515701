// Strict RFC 8259 parsing of untrusted bytes: a whole document into JSONValue, or only the byte
// ranges of a top-level object's members (so large members can be forwarded without re-encoding).

/// Entry points for parsing. Every malformed input ends in a `JSONError`, never a trap.
///
/// Choices where RFC 8259 leaves room (all strict, so what we accept any peer also accepts):
/// - Lone UTF-16 surrogates in `\u` escapes are rejected ("invalid_json"), not replaced by
///   U+FFFD: silently changing a string we later sign or forward would be worse than refusing it.
/// - Strings must be well-formed UTF-8 (no overlong forms, no encoded surrogates, <= U+10FFFF).
/// - Duplicate object keys are kept in order; lookups take the first.
/// - Numbers are validated against the grammar and kept as written, however long.
/// - Nesting deeper than `maxDepth` arrays/objects is "too_deep"; recursion is bounded by it, so
///   keep `maxDepth` modest (the default 64 is plenty for any message we exchange).
public enum JSONParser {
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64, maxBytes: Int = Int.max) throws(JSONError) -> JSONValue {
        guard bytes.count <= maxBytes else {
            throw JSONError(code: "too_large", message: "document of \(bytes.count) bytes exceeds \(maxBytes) at byte \(maxBytes)", offset: maxBytes)
        }
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        let value = try scanner.value(depth: 0, build: true)
        try scanner.expectEnd()
        return value
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64, maxBytes: Int = Int.max) throws(JSONError) -> JSONValue {
        // withUnsafeBytes cannot forward a typed throw, so carry the outcome out as a Result.
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { raw in
            do throws(JSONError) {
                return .success(try parse(raw, maxDepth: maxDepth, maxBytes: maxBytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Validates the whole document (which must be an object) and returns each member's key and
    /// the byte range of its value within `bytes`, in document order. Member values are checked
    /// but never materialized, so a caller can copy e.g. an event's `data` verbatim.
    public static func topLevelMembers(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONError) -> [(key: String, range: Range<Int>)] {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        let members = try scanner.topLevelMembers()
        try scanner.expectEnd()
        return members
    }

    public static func topLevelMembers(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONError) -> [(key: String, range: Range<Int>)] {
        let result: Result<[(key: String, range: Range<Int>)], JSONError> = bytes.withUnsafeBytes { raw in
            do throws(JSONError) {
                return .success(try topLevelMembers(raw, maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
