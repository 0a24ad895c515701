// Closing every WebSocket of this node at once, keeping the listener: a node that lost the
// cluster backplane sends its clients elsewhere (1012, service restart) to recover with `since`.

extension Server {
    /// On each loop, sends a close frame with `code` to every open WebSocket.
    public func closeWebSockets(code: UInt16, reason: String) {
        for loop in group.loops {
            loop.execute { [unowned self] in
                for h in connectionsByLoop[loop.index].all where h.isWebSocket {
                    h.close(code: code, reason: reason)
                }
            }
        }
    }
}
