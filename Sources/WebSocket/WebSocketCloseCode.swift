// Close status codes (RFC 6455 §7.4) and which of them a peer may legitimately send.

public struct WebSocketCloseCode: Sendable {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011

    /// Codes a peer may send in a close frame: 1000-1003, 1007-1011, 3000-4999.
    /// 1004 is reserved, 1005/1006/1015 must never appear on the wire, 1012-2999 are unassigned
    /// here (Autobahn 7.9.* expects them rejected), and everything below 1000 or above 4999 is invalid.
    public static func isValidReceived(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: return true
        default: return false
        }
    }
}
