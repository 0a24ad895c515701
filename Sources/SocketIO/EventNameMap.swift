// SWITCHBOARD_SOCKETIO_EVENT_NAMES: hub event types renamed for a frontend that listens to older
// Socket.IO event names, `message.received=new_message,message.status=message_status`.

public struct EventNameMap: Sendable, Equatable {
    public private(set) var names: [String: String] = [:]

    public init() {}

    public init(_ names: [String: String]) { self.names = names }

    /// Parses `type=name[,type=name...]`; nil (with the reason) for a malformed list.
    public static func parse(_ text: String) -> Result<EventNameMap, ParseFailure> {
        var map = EventNameMap()
        for entry in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = entry.split(separator: "=", omittingEmptySubsequences: false)
            let from = pair.first.map { String($0).trimmed } ?? ""
            let to = pair.count == 2 ? String(pair[1]).trimmed : ""
            guard pair.count == 2, !from.isEmpty, !to.isEmpty, from.utf8.count <= 100, to.utf8.count <= 100 else {
                return .failure(ParseFailure(message: "expected type=name[,type=name...], got \(entry.prefix(64))"))
            }
            guard !SocketIOCodec.reservedEvents.contains(to), to != "batch" else {
                return .failure(ParseFailure(message: "\(to) is a reserved Socket.IO event name"))
            }
            guard map.names[from] == nil else { return .failure(ParseFailure(message: "\(from) is renamed twice")) }
            map.names[from] = to
        }
        return .success(map)
    }

    public struct ParseFailure: Error, Sendable, Equatable {
        public let message: String
    }

    /// The Socket.IO event name of a hub event type.
    public func name(for type: String) -> String { names[type] ?? type }
}

extension String {
    fileprivate var trimmed: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
