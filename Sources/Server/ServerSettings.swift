// What the server core needs from the configuration: listening, limits and timeouts. App's
// Configuration fills it from the SWITCHBOARD_* settings.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port: UInt16 = 8080
    /// Reactor threads; 0 = number of cores.
    public var threads = 0
    public var maxBodyBytes = 4 << 20
    public var headerTimeoutSeconds = 10.0
    /// From the end of a request's headers to the end of its body; then 408 and close.
    public var bodyTimeoutSeconds = 30.0
    /// How long a deferred route may take to answer; then 503 `response_timeout` and close
    /// (a late answer could otherwise be taken for the answer to the next request).
    public var deferredResponseTimeoutSeconds = 30.0
    public var idleTimeoutSeconds = 60.0
    public var shutdownTimeoutSeconds = 10.0
    public var corsOrigins: [String] = []
    public var wsMaxMessageBytes = 1 << 20
    public var wsPingIntervalSeconds = 30.0
    public var wsIdleTimeoutSeconds = 75.0
    /// permessage-deflate (RFC 7692) offered by clients is accepted (SWITCHBOARD_WS_COMPRESSION).
    public var wsCompression = true
    /// Messages and hub frames with a smaller payload go out uncompressed (SWITCHBOARD_WS_COMPRESS_MIN_BYTES).
    public var wsCompressMinBytes = 256
    /// PEM certificate chain and key: both set = the port serves TLS (SWITCHBOARD_TLS_CERT, _KEY).
    public var tlsCertificatePath: String? = nil
    public var tlsKeyPath: String? = nil

    public init() {}
}
