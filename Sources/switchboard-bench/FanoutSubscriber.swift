// One fan-out subscriber: connects, subscribes (switchboard) or just opens (nchan: the topic is
// in the URL), then counts events per frame with FrameScan and checks seq continuity.
import Reactor

enum FanoutTarget: Sendable, Equatable {
    case switchboard(topic: String)
    /// Ready as soon as the socket is open, no subscribe op; each frame is one event (nginx+nchan,
    /// whose messages carry the publisher's seq), or nothing is expected (idle against /echo).
    case rawEvents
}

// Loop-confined: lives on one loop with its WebSocketClient.
final class FanoutSubscriber: WebSocketClientOwner, @unchecked Sendable {
    private let tally: SubscriberTally
    private let target: FanoutTarget
    /// A slow consumer stops reading after subscribing and is left out of the delivery counts.
    let isSlow: Bool
    private(set) var client: WebSocketClient?
    private var subscribed = false
    private var lastSeq: UInt64?
    private var hadGap = false
    private(set) var closeCode: UInt16?
    private(set) var closeFailure: String?

    init(endpoint: Endpoint, loop: EventLoop, target: FanoutTarget, tally: SubscriberTally, slow: Bool) {
        self.tally = tally
        self.target = target
        self.isSlow = slow
        do {
            client = try WebSocketClient(endpoint: endpoint, loop: loop, owner: self)
        } catch {
            tally.noteClose("connect: \(error)")
            tally.failed.add(1, ordering: .relaxed)
        }
    }

    func webSocketDidOpen(_ client: WebSocketClient) {
        switch target {
        case .switchboard(let topic):
            client.sendText(#"{"op":"subscribe","id":1,"topics":["\#(topic)"]}"#)
        case .rawEvents:
            becomeReady()
        }
    }

    private func becomeReady() {
        subscribed = true
        tally.ready.add(1, ordering: .relaxed)
        if isSlow { client?.connection?.pauseReading() }
    }

    /// Lets a slow consumer read again (at the end, to see whether the server closed it).
    func resumeReading() { client?.connection?.resumeReading() }

    func webSocket(_ client: WebSocketClient, didReceiveText payload: UnsafeRawBufferPointer) {
        let now = MonotonicTime.nanoseconds()
        if case .switchboard = target {
            if !FrameScan.isBatch(payload) {
                controlFrame(payload)
                return
            }
        }
        if isSlow { return }
        guard let scan = FrameScan.scan(payload) else {
            tally.unscannable += 1
            return
        }
        tally.frames += 1
        tally.events += scan.events
        tally.progress.add(scan.events, ordering: .relaxed)
        tally.lastDeliveryNs = now
        if let stamp = scan.lastPublishNs { tally.recordLatency(publishNs: stamp, nowNs: now) }
        if let last = lastSeq {
            if scan.firstSeq > last &+ 1 {
                tally.gapFrames += 1
                tally.missingEvents += Int(clamping: scan.firstSeq - last - 1)
                if !hadGap { hadGap = true; tally.subscribersWithGaps += 1 }
            } else if scan.firstSeq <= last {
                tally.backwardFrames += 1
            }
        }
        lastSeq = max(lastSeq ?? 0, scan.lastSeq)
    }

    /// Acks and errors: only the subscribe answer matters (it carries the topic's current seq).
    private func controlFrame(_ payload: UnsafeRawBufferPointer) {
        let text = String(decoding: payload, as: UTF8.self)
        if text.hasPrefix(#"{"op":"ack""#) && !subscribed {
            if let scan = FrameScan.scan(payload) { lastSeq = scan.lastSeq }
            becomeReady()
        } else if text.hasPrefix(#"{"op":"error""#) {
            tally.errorsFromServer += 1
            if tally.firstError == nil { tally.firstError = text }
            if !subscribed {
                tally.failed.add(1, ordering: .relaxed)
                client?.close()
            }
        }
    }

    func webSocketDidClose(_ client: WebSocketClient, closeCode: UInt16?, failure: String?) {
        self.closeCode = closeCode
        self.closeFailure = failure
        tally.noteClose(closeCode.map { "close \($0)" } ?? (failure ?? "closed"))
        tally.closed.add(1, ordering: .relaxed)
        if subscribed { tally.droppedAfterReady.add(1, ordering: .relaxed) } else { tally.failed.add(1, ordering: .relaxed) }
    }
}
