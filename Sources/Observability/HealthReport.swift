// The health of the process as one value: each service's status and details, the overall status
// and its HTTP answer, and the JSON of GET /health. Built by the health monitor in the background;
// the endpoints only read the last one.
import Logging

public enum HealthStatus: String, Sendable, Equatable {
    case ok, degraded, error
}

public enum HealthDetail: Sendable, Equatable {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
}

public struct ServiceHealth: Sendable, Equatable {
    public var status: HealthStatus
    public var details: [String: HealthDetail]

    public init(status: HealthStatus, details: [String: HealthDetail] = [:]) {
        self.status = status
        self.details = details
    }
}

public struct HealthReport: Sendable, Equatable {
    /// The order services appear in the JSON.
    public static let serviceNames = ["database", "whatsapp", "inbox", "outbox", "hub"]
    /// Without these the process cannot take webhooks or serve clients: any of them not ok makes
    /// the whole report `error` and the endpoints answer 503. whatsapp and outbox only degrade
    /// (replies wait in the outbox; nothing is lost), so the instance stays in rotation.
    public static let requiredServices: Set<String> = ["database", "inbox", "hub"]

    public var services: [String: ServiceHealth]
    public var timestampMs: Int64
    public var version: String
    public var uptimeSeconds: Int64
    /// This node's name (SWITCHBOARD_NODE_ID), when the server set one.
    public var node: String? = nil

    public init(services: [String: ServiceHealth], timestampMs: Int64, version: String, uptimeSeconds: Int64) {
        self.services = services
        self.timestampMs = timestampMs
        self.version = version
        self.uptimeSeconds = uptimeSeconds
    }

    /// error when a required service is not ok (or missing); degraded when another one is not ok.
    public var status: HealthStatus {
        for name in Self.requiredServices where services[name]?.status != .ok { return .error }
        return services.values.contains { $0.status != .ok } ? .degraded : .ok
    }

    public var httpStatus: Int { status == .error ? 503 : 200 }

    /// `{"status","timestamp","version","uptime_s","services":{...}}`.
    public func json() -> [UInt8] {
        var out: [UInt8] = Array(#"{"status":"#.utf8)
        LogText.appendJSONString(status.rawValue, to: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        LogText.appendJSONString(RFC3339.format(milliseconds: timestampMs), to: &out)
        out.append(contentsOf: #","version":"#.utf8)
        LogText.appendJSONString(version, to: &out)
        if let node {
            out.append(contentsOf: #","node":"#.utf8)
            LogText.appendJSONString(node, to: &out)
        }
        out.append(contentsOf: #","uptime_s":"#.utf8)
        out.append(contentsOf: String(uptimeSeconds).utf8)
        out.append(contentsOf: #","services":"#.utf8)
        out.append(contentsOf: servicesJSON())
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"database":{"status":"ok","details":{...}},...}` in `serviceNames` order.
    public func servicesJSON() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        let names = Self.serviceNames + services.keys.filter { !Self.serviceNames.contains($0) }.sorted()
        for name in names {
            guard let s = services[name] else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            LogText.appendJSONString(name, to: &out)
            out.append(contentsOf: #":{"status":"#.utf8)
            LogText.appendJSONString(s.status.rawValue, to: &out)
            out.append(contentsOf: #","details":{"#.utf8)
            for (i, (k, v)) in s.details.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                LogText.appendJSONString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.append(v, to: &out)
            }
            out.append(contentsOf: "}}".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func append(_ v: HealthDetail, to out: inout [UInt8]) {
        switch v {
        case .int(let n): out.append(contentsOf: String(n).utf8)
        case .double(let d): out.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        case .string(let s): LogText.appendJSONString(s, to: &out)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }
}
