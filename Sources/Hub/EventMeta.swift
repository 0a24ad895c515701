// The `meta` object an event may carry: today the correlation id of the request or webhook that
// caused it, so a browser-side event can be traced back to server log lines.
import JSON

public enum EventMeta {
    /// `{"correlation_id":"<id>"}`, encoded once per publish.
    public static func correlation(_ correlationID: String) -> [UInt8] {
        var m: [UInt8] = Array(#"{"correlation_id":"#.utf8)
        JSONWriter.appendString(correlationID, to: &m)
        m.append(UInt8(ascii: "}"))
        return m
    }
}
