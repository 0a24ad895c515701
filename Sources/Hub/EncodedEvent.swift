// One published event, JSON-encoded exactly once at publish time and shared by every subscriber.
import JSON

/// `{"seq":42,"type":"conversation.updated","ts":1764460000123,"data":{...}[,"meta":{...}]}`.
///
/// `data` and `meta` are spliced in as raw bytes: they come from a frame the parser already
/// validated (JSONParser.topLevelMembers) or from our own writer, so they are never re-encoded.
public struct EncodedEvent: Sendable, Equatable {
    public let seq: Int64
    /// Publish time, unix milliseconds.
    public let ts: Int64
    public let bytes: [UInt8]

    public var byteCount: Int { bytes.count }

    /// `data` and `meta` must each be one valid JSON value (not checked again here).
    public init(seq: Int64, type: String, ts: Int64, data: [UInt8], meta: [UInt8]? = nil) {
        var out: [UInt8] = []
        out.reserveCapacity(48 + type.utf8.count + data.count + (meta?.count ?? 0))
        out.append(contentsOf: #"{"seq":"#.utf8)
        JSONWriter.appendInt(seq, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        JSONWriter.appendString(type, to: &out)
        out.append(contentsOf: #","ts":"#.utf8)
        JSONWriter.appendInt(ts, to: &out)
        out.append(contentsOf: #","data":"#.utf8)
        out.append(contentsOf: data)
        if let meta {
            out.append(contentsOf: #","meta":"#.utf8)
            out.append(contentsOf: meta)
        }
        out.append(UInt8(ascii: "}"))
        self.seq = seq
        self.ts = ts
        self.bytes = out
    }

    /// An event encoded elsewhere (by the node that published it, carried by the backplane):
    /// `bytes` must be exactly what `init(seq:type:ts:data:meta:)` would have written.
    public init(seq: Int64, ts: Int64, encoded bytes: [UInt8]) {
        self.seq = seq
        self.ts = ts
        self.bytes = bytes
    }
}
