// What the session needs from permessage-deflate's inflater, kept free of zlib so the frame code
// builds without it (the frame fuzz target does); MessageInflater+WebSocket.swift conforms the
// zlib one.

public enum WebSocketInflateOutcome: Sendable, Equatable {
    case ok
    /// The inflated message would pass the limit: close with 1009.
    case tooBig
    /// Not a valid deflate stream: close with 1007.
    case corrupt
}

public protocol WebSocketMessageInflating: AnyObject, Sendable {
    /// Inflates one frame's payload of the current message onto `out`, which never grows past `limit`.
    func inflateFrame(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8], limit: Int) -> WebSocketInflateOutcome
    /// Ends the current message (feeds the 00 00 FF FF tail RFC 7692 §7.2.2 removes).
    func finishInflating(appendingTo out: inout [UInt8], limit: Int) -> WebSocketInflateOutcome
    /// The connection failed mid-message: free what the message held.
    func abandonMessage()
}
