// The bytes the publisher sends: an event whose data carries the publish time (monotonic ns, as a
// string) and padding up to the requested size. Switchboard numbers events itself; for nchan the
// publisher's own counter goes in as "seq" so subscribers can check continuity the same way.

enum EventBody {
    /// The data object, about `bytes` long: `{"bench_ns":"<ns>","pad":"xxx…"}`.
    static func data(publishNs: UInt64, bytes: Int) -> String {
        let head = #"{"bench_ns":"\#(publishNs)","pad":""#
        let pad = max(0, bytes - head.utf8.count - 2)
        return head + String(repeating: "x", count: pad) + #""}"#
    }

    /// POST /api/publish body.
    static func switchboardHTTP(topic: String, publishNs: UInt64, bytes: Int) -> String {
        #"{"topic":"\#(topic)","type":"bench","data":\#(data(publishNs: publishNs, bytes: bytes))}"#
    }

    /// WebSocket publish op.
    static func switchboardWebSocket(id: Int, topic: String, publishNs: UInt64, bytes: Int) -> String {
        #"{"op":"publish","id":\#(id),"topic":"\#(topic)","type":"bench","data":\#(data(publishNs: publishNs, bytes: bytes))}"#
    }

    /// nchan message body: the whole message is the event, seq first.
    static func nchan(seq: Int, publishNs: UInt64, bytes: Int) -> String {
        let head = #"{"seq":\#(seq),"bench_ns":"\#(publishNs)","pad":""#
        let pad = max(0, bytes - head.utf8.count - 2)
        return head + String(repeating: "x", count: pad) + #""}"#
    }
}
