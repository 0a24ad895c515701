// The Socket.IO endpoint's rows in the one SWITCHBOARD_* settings table.
import Server
import SocketIO

extension Configuration {
    static let socketIOSettings: [Setting] = [
        Setting(env: "SWITCHBOARD_SOCKETIO_EVENT_NAMES", flag: nil,
                help: "Socket.IO event names for hub types, e.g. message.received=new_message,message.status=message_status") { c, v in
            switch EventNameMap.parse(v) {
            case .success(let map): c.socketIO.eventNames = map; return nil
            case .failure(let f): return f.message
            }
        },
    ]
}
