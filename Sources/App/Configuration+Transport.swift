// The transport's rows in the one SWITCHBOARD_* settings table: permessage-deflate and TLS.
import Server

extension Configuration {
    static let transportSettings: [Setting] = [
        Setting(env: "SWITCHBOARD_WS_COMPRESSION", flag: nil, help: "on|off: accept permessage-deflate (RFC 7692) on WebSockets") { c, v in
            guard v == "on" || v == "off" else { return "expected on or off" }
            c.server.wsCompression = v == "on"; return nil
        },
        Setting(env: "SWITCHBOARD_WS_COMPRESS_MIN_BYTES", flag: nil, help: "WebSocket messages and hub frames smaller than this go out uncompressed") { c, v in
            guard let n = Int(v), (0...(64 << 20)).contains(n) else { return "expected an integer 0-67108864" }
            c.server.wsCompressMinBytes = n; return nil
        },
        Setting(env: "SWITCHBOARD_TLS_CERT", flag: "--tls-cert", help: "PEM certificate chain: with SWITCHBOARD_TLS_KEY the port serves HTTPS/WSS (TLS 1.2+, SIGHUP reloads)") { c, v in
            guard !v.isEmpty else { return "expected a file path" }
            c.server.tlsCertificatePath = v; return nil
        },
        Setting(env: "SWITCHBOARD_TLS_KEY", flag: "--tls-key", help: "PEM private key of SWITCHBOARD_TLS_CERT") { c, v in
            guard !v.isEmpty else { return "expected a file path" }
            c.server.tlsKeyPath = v; return nil
        },
    ]
}
