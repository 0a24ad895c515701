// Turns one hub batch frame (a complete WebSocket text frame whose payload is
// `{"op":"batch","topic":"t","epoch":"e","events":[{"seq","type","ts","data"[,"meta"]},..]}`)
// into Engine.IO message packets, once per frame and format for every Socket.IO subscriber:
//   per event: `42["<type or its new name>",{"topic","epoch","seq","type","ts","data"[,"meta"]},"<offset>"]`
//   batch:     `42["batch",{"topic","epoch","events":[..]},"<offset of the last event>"]`
// The events' bytes are spliced, never re-encoded.
import Hub
import JSON

public struct HubFrameEvents: Sendable {
    public let topic: String
    public let epoch: String
    public let firstSeq: Int64
    public let lastSeq: Int64
    /// Per event: its type and its encoded object.
    public let events: [(seq: Int64, type: String, bytes: ArraySlice<UInt8>)]
    /// The payload after `{"op":"batch",`: `"topic":..,"epoch":..,"events":[..]}`.
    let batchTail: ArraySlice<UInt8>

    public var lastOffset: EventOffset { EventOffset(topic: topic, epoch: epoch, seq: lastSeq) }
}

public enum HubFrameTranscoder {
    static let batchOpening = Array(#"{"op":"batch","#.utf8)

    /// Nil for anything that is not a hub batch frame (never expected: the hub wrote it).
    public static func parse(webSocketFrame frame: [UInt8]) -> HubFrameEvents? {
        guard frame.count >= 2, frame[0] == 0x81 else { return nil }
        let headerLength: Int
        switch frame[1] {
        case 126: headerLength = 4
        case 127: headerLength = 10
        default: headerLength = 2
        }
        guard frame.count >= headerLength else { return nil }
        return parse(payload: Array(frame[headerLength...]))
    }

    public static func parse(payload: [UInt8]) -> HubFrameEvents? {
        guard payload.starts(with: batchOpening),
              let members = try? JSONParser.topLevelMembers(payload),
              let topic = member(members, "topic", in: payload)?.stringValue,
              let epoch = member(members, "epoch", in: payload)?.stringValue,
              let eventsRange = members.first(where: { $0.key == "events" })?.range,
              let ranges = try? JSONParser.topLevelElements(Array(payload[eventsRange])) else { return nil }
        var events: [(seq: Int64, type: String, bytes: ArraySlice<UInt8>)] = []
        events.reserveCapacity(ranges.count)
        for r in ranges {
            let slice = payload[(eventsRange.lowerBound + r.lowerBound)..<(eventsRange.lowerBound + r.upperBound)]
            let bytes = Array(slice)
            guard let fields = try? JSONParser.topLevelMembers(bytes),
                  let seq = member(fields, "seq", in: bytes)?.intValue,
                  let type = member(fields, "type", in: bytes)?.stringValue,
                  slice.count >= 2 else { return nil }
            events.append((seq: seq, type: type, bytes: slice))
        }
        guard let first = events.first, let last = events.last else { return nil }
        return HubFrameEvents(topic: topic, epoch: epoch, firstSeq: first.seq, lastSeq: last.seq, events: events,
                              batchTail: payload[batchOpening.count...])
    }

    private static func member(_ members: [(key: String, range: Range<Int>)], _ key: String, in bytes: [UInt8]) -> JSONValue? {
        guard let r = members.first(where: { $0.key == key })?.range else { return nil }
        return try? JSONParser.parse(Array(bytes[r]))
    }

    /// One Engine.IO message packet per event, joined by 0x1E (a polling payload; split on
    /// 0x1E for WebSocket frames).
    public static func perEventPackets(_ frame: HubFrameEvents, names: EventNameMap) -> [[UInt8]] {
        var prefix: [UInt8] = Array(#"{"topic":"#.utf8)
        JSONWriter.appendString(frame.topic, to: &prefix)
        prefix.append(contentsOf: #","epoch":"#.utf8)
        JSONWriter.appendString(frame.epoch, to: &prefix)
        prefix.append(UInt8(ascii: ","))
        return frame.events.map { e in
            var out: [UInt8] = [EngineIOPacketType.message.digit]
            out.reserveCapacity(e.bytes.count + prefix.count + 64)
            out.append(contentsOf: "2[".utf8)
            JSONWriter.appendString(names.name(for: e.type), to: &out)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: prefix)
            out.append(contentsOf: e.bytes.dropFirst())  // the event's own members after its `{`
            out.append(UInt8(ascii: ","))
            JSONWriter.appendString(EventOffset(topic: frame.topic, epoch: frame.epoch, seq: e.seq).text, to: &out)
            out.append(UInt8(ascii: "]"))
            return out
        }
    }

    /// The one `batch` event of a frame, as an Engine.IO message packet.
    public static func batchPacket(_ frame: HubFrameEvents) -> [UInt8] {
        var out: [UInt8] = [EngineIOPacketType.message.digit]
        out.reserveCapacity(frame.batchTail.count + 64)
        out.append(contentsOf: #"2["batch",{"#.utf8)
        out.append(contentsOf: frame.batchTail)
        out.append(UInt8(ascii: ","))
        JSONWriter.appendString(frame.lastOffset.text, to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }
}
