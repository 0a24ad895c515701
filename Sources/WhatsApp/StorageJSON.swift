// The form in which decoded sub-objects (a message, its referral, a status's pricing, another
// field's value) are stored and forwarded: one canonical JSON text per value, so a redelivery of
// the same webhook stores the same bytes and de-duplicates.
import JSON

/// Compact JSON with every object's keys sorted byte-wise (UTF-8 order) and a repeated key
/// written once, with the value JSONObject's lookups see (the last). Everything else is
/// JSONWriter's: numbers exactly as they were written (`1.0`, `1.10`, a 30-digit id), strings
/// as raw UTF-8 with `"`, `\`, control characters and U+2028/U+2029 escaped, `/` never.
enum StorageJSON {
    static func string(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in canonicalMembers(members).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(member.0, to: &out)
                out.append(UInt8(ascii: ":"))
                append(member.1, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .null, .bool, .number, .string:
            JSONWriter.append(value, to: &out)
        }
    }

    /// Members sorted by key bytes, keeping only the last of each repeated key.
    static func canonicalMembers(_ members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        if members.count < 2 { return members }
        // Ties keep document order (an explicit tiebreak: `sorted` is not documented as stable),
        // so the last of a run of equal keys is the document's last.
        let ordered = members.indices.sorted { a, b in
            let order = KeyBytes.compare(members[a].0, members[b].0)
            return order == 0 ? a < b : order < 0
        }
        var result: [(String, JSONValue)] = []
        result.reserveCapacity(members.count)
        for index in ordered {
            let member = members[index]
            if let previous = result.last, KeyBytes.equal(previous.0, member.0) {
                result[result.count - 1] = member
            } else {
                result.append(member)
            }
        }
        return result
    }
}
