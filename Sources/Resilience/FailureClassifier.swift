// Turns a failed send into a retry verdict, deciding on the Graph error code, never on titles.

public enum FailureClassifier {
    /// The pair rate limit: about one message per 6 s to the same user.
    public static let pairRateLimitCode = 131056

    /// Codes that are the operator's problem and block every send until someone acts, so they
    /// raise a critical alert. The issue names 190 (token) and 131031 (account locked); the rest
    /// are the same kind of problem according to errors.json:
    /// - credentials and permissions: 0 (AuthException), 3 (API method/capability), 10 and 200–299
    ///   (permission denied), 131005 (access denied);
    /// - account or number unusable: 33 (phone number deleted), 368 (blocked for policy
    ///   violations), 131037 (555 number without display name), 131045 (registration
    ///   certificate), 133010 (number not registered);
    /// - billing: 131042 (payment method);
    /// - number-wide sending restrictions with no short-term retry: 131048 (spam rate limit),
    ///   131064 (template classification limit).
    /// Not included: per-recipient or per-template problems (131047, 131050, 130497, 132xxx),
    /// which fail one message but leave the number working.
    public static let criticalAlertCodes: Set<Int> = [
        0, 3, 10, 33, 190, 200, 368,
        131005, 131031, 131037, 131042, 131045, 131048, 131064, 133010,
    ]

    /// Meta's strategy for code 1 ("API Unknown") is "bounded retry (<=3)".
    static let attemptLimits: [Int: Int] = [1: 3]

    /// Rules, in order:
    /// 1. Transport errors and timeouts are transient. A timeout after the request was sent is
    ///    ambiguous: Graph may have accepted the message. It is still retried, because losing a
    ///    reply is worse than sending it twice, but the Graph API has no idempotency key, so a
    ///    duplicate send is possible in exactly this case (flagged by `mayHaveBeenDelivered`).
    /// 2. A known Graph code decides by its `retryable` flag in errors.json, whatever the HTTP
    ///    status (e.g. 131045 comes with 500 but is permanent).
    /// 3. No code, or a code not in the table: HTTP 5xx is transient; HTTP 429 is transient too
    ///    (a proxy or an older Graph revision signalling throttling without a Graph body);
    ///    everything else, including unknown codes with a 4xx, is permanent.
    public static func classify(_ failure: SendFailure) -> Classification {
        switch failure {
        case .transport(let message):
            return Classification(
                kind: .transient, scope: .message, raisesCriticalAlert: false, code: "transport",
                description: "Transport error before Graph answered: \(sanitized(message))")
        case .timeout(afterRequestSent: false):
            return Classification(
                kind: .transient, scope: .message, raisesCriticalAlert: false, code: "timeout.before_send",
                description: "Timed out before the request was sent")
        case .timeout(afterRequestSent: true):
            return Classification(
                kind: .transient, scope: .message, raisesCriticalAlert: false, code: "timeout.after_send",
                description: "Timed out waiting for Graph after the request was sent; it may have been delivered",
                mayHaveBeenDelivered: true)
        case .http(let status, let graphCode, _, _, _):
            if let graphCode, let info = GraphErrors.info(code: graphCode) {
                return classifyKnown(info, code: graphCode)
            }
            return classifyUnknown(status: status, graphCode: graphCode)
        }
    }

    private static func classifyKnown(_ info: GraphErrorInfo, code: Int) -> Classification {
        let scope: FailureScope
        if code == pairRateLimitCode {
            scope = .recipient
        } else if info.retryable && info.category == "throttling" {
            // 4 (app), 80007 and 80008 (WABA), 130429 (number throughput), 133016: all throttle
            // more than one recipient; the phone number's queue is the widest thing we pace.
            scope = .phoneNumber
        } else {
            scope = .message
        }
        let kind: FailureKind = info.retryable ? .transient : .permanent
        return Classification(
            kind: kind, scope: scope,
            raisesCriticalAlert: criticalAlertCodes.contains(code) || criticalAlertCodes.contains(info.code),
            code: "graph.\(code)",
            description: "Graph error \(code) (\(info.title)): \(info.retryStrategy)",
            graphError: info,
            attemptLimit: attemptLimits[info.code])
    }

    private static func classifyUnknown(status: Int, graphCode: Int?) -> Classification {
        let serverSide = (500...599).contains(status)
        let throttled = status == 429
        let kind: FailureKind = serverSide || throttled ? .transient : .permanent
        let code = graphCode.map { "graph.\($0)" } ?? "http.\(status)"
        let what = graphCode.map { "Undocumented Graph error \($0) with HTTP \(status)" } ?? "HTTP \(status) without a Graph error code"
        let advice = kind == .transient ? "retrying with backoff" : "not retried"
        return Classification(
            kind: kind, scope: throttled ? .phoneNumber : .message, raisesCriticalAlert: false,
            code: code, description: "\(what); \(advice)")
    }

    /// Keeps a transport message printable and short: it ends up in logs and in agents' UI.
    static func sanitized(_ message: String, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in message.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            let printable = scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80...0x9F).contains(scalar.value)
            out.unicodeScalars.append(printable ? scalar : "?")
            count += 1
        }
        return out.isEmpty ? "(no detail)" : out
    }
}
