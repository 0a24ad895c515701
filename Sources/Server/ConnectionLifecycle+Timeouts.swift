// The deadlines of a connection's lifecycle, from the configured seconds, and the saturating
// arithmetic that keeps any configured value from trapping.

extension ConnectionLifecycle {
    /// Every deadline of a connection, in nanoseconds. Each is at least 1 ns.
    public struct Timeouts: Sendable, Equatable {
        /// From the first byte of a request to the end of its headers (slowloris guard).
        public var header: UInt64
        /// From the end of the headers to the end of the body.
        public var body: UInt64
        /// A keep-alive connection between requests.
        public var idle: UInt64
        /// A deferred route's answer. On expiry the client gets 503 and the connection closes:
        /// a late answer could otherwise be taken for the answer to the next request.
        public var deferredResponse: UInt64
        /// A WebSocket that has sent nothing.
        public var webSocketIdle: UInt64
        /// Between server pings on a quiet WebSocket.
        public var webSocketPing: UInt64

        public init(header: UInt64, body: UInt64, idle: UInt64, deferredResponse: UInt64,
                    webSocketIdle: UInt64, webSocketPing: UInt64) {
            self.header = max(header, 1)
            self.body = max(body, 1)
            self.idle = max(idle, 1)
            self.deferredResponse = max(deferredResponse, 1)
            self.webSocketIdle = max(webSocketIdle, 1)
            self.webSocketPing = max(webSocketPing, 1)
        }

        /// Seconds as configured, in nanoseconds: fractions kept, zero, negative or NaN as 1 ns,
        /// anything past 10^9 s (or infinite) as 10^9 s.
        public init(headerSeconds: Double, bodySeconds: Double, idleSeconds: Double, deferredResponseSeconds: Double,
                    webSocketIdleSeconds: Double, webSocketPingSeconds: Double) {
            self.init(header: Self.nanoseconds(headerSeconds), body: Self.nanoseconds(bodySeconds),
                      idle: Self.nanoseconds(idleSeconds), deferredResponse: Self.nanoseconds(deferredResponseSeconds),
                      webSocketIdle: Self.nanoseconds(webSocketIdleSeconds), webSocketPing: Self.nanoseconds(webSocketPingSeconds))
        }

        static func nanoseconds(_ seconds: Double) -> UInt64 {
            guard seconds > 0 else { return 1 }  // also NaN
            return seconds >= 1e9 ? UInt64(1e18) : UInt64(seconds * 1e9)
        }
    }
}

extension UInt64 {
    /// Deadlines never trap: a sum past the end of time is the end of time.
    func saturatingAdd(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
