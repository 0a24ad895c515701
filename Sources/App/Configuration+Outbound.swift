// The outbound sender's rows in the one SWITCHBOARD_* settings table.
import Outbound

extension OutboundSettings {
    static let settings: [Configuration.Setting] = [
        .init(env: "SWITCHBOARD_GRAPH_BASE_URL", flag: nil, help: "Graph API base URL (tests point it at fake_graph)") { c, v in
            let lower = v.lowercased()
            guard (lower.hasPrefix("https://") || lower.hasPrefix("http://")), !v.contains(" "), v.utf8.count <= 512 else {
                return "expected an http:// or https:// URL"
            }
            c.outbound.graphBaseURL = v; return nil
        },
        .init(env: "SWITCHBOARD_GRAPH_API_VERSION", flag: nil, help: "Graph API version in the path, e.g. v21.0") { c, v in
            let digits = v.dropFirst()
            guard v.hasPrefix("v"), !digits.isEmpty, digits.allSatisfy({ $0.isNumber || $0 == "." }) else {
                return "expected vN.N"
            }
            c.outbound.graphAPIVersion = v; return nil
        },
        .init(env: "SWITCHBOARD_WA_ACCESS_TOKEN", flag: nil, help: "Graph API access token (unset: sending is off, POST /api/messages answers 503)") { c, v in
            guard !v.isEmpty, !v.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else { return "expected a token without spaces or control characters" }
            c.outbound.accessToken = v; return nil
        },
        .init(env: "SWITCHBOARD_WA_PHONE_NUMBER_ID", flag: nil, help: "default sending phone number id (a request may name another with phone_number_id)") { c, v in
            guard OutboundSettings.isPhoneNumberID(v) else { return "expected 1-32 digits" }
            c.outbound.defaultPhoneNumberID = v; return nil
        },
        .init(env: "SWITCHBOARD_SEND_MAX_ATTEMPTS", flag: nil, help: "attempts per outbound message before it fails (transient errors)") { c, v in
            guard let n = Int(v), (1...100).contains(n) else { return "expected an integer 1-100" }
            c.outbound.sendMaxAttempts = n; return nil
        },
        .init(env: "SWITCHBOARD_BREAKER_FAILURES", flag: nil, help: "consecutive transient Graph failures that open the circuit breaker") { c, v in
            guard let n = Int(v), (1...10_000).contains(n) else { return "expected an integer 1-10000" }
            c.outbound.breakerFailures = n; return nil
        },
        .init(env: "SWITCHBOARD_BREAKER_OPEN_S", flag: nil, help: "seconds the breaker stays open after its first trip (doubles on repeated trips)") { c, v in
            guard let d = Double(v), d > 0, d <= 3600 else { return "expected seconds 0-3600" }
            c.outbound.breakerOpenSeconds = d; return nil
        },
        .init(env: "SWITCHBOARD_SEND_RATE", flag: nil, help: "messages per second per business phone number") { c, v in
            guard let d = Double(v), d > 0, d <= 1_000_000 else { return "expected a number > 0" }
            c.outbound.sendRatePerSecond = d; return nil
        },
        .init(env: "SWITCHBOARD_PAIR_INTERVAL_MS", flag: nil, help: "minimum spacing of messages to one recipient, with a burst of 2 (0 = off)") { c, v in
            guard let n = Int(v), (0...3_600_000).contains(n) else { return "expected an integer 0-3600000" }
            c.outbound.pairIntervalMs = n; return nil
        },
        .init(env: "SWITCHBOARD_SEND_RETRIES", flag: nil, help: "on|off: retry transient send failures (off: they fail at once)") { c, v in
            guard let b = Configuration.onOff(v) else { return "expected on or off" }
            c.outbound.retriesEnabled = b; return nil
        },
        .init(env: "SWITCHBOARD_BREAKER", flag: nil, help: "on|off: the circuit breaker in front of the Graph API") { c, v in
            guard let b = Configuration.onOff(v) else { return "expected on or off" }
            c.outbound.breakerEnabled = b; return nil
        },
        .init(env: "SWITCHBOARD_GRAPH_TIMEOUT_MS", flag: nil, help: "total time limit of one Graph API call in ms") { c, v in
            guard let n = Int(v), (100...600_000).contains(n) else { return "expected an integer 100-600000" }
            c.outbound.graphTimeoutMs = n
            c.outbound.graphConnectTimeoutMs = min(c.outbound.graphConnectTimeoutMs, n)
            return nil
        },
    ]

}
