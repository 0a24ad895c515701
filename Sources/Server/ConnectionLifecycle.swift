// The life of one client connection as a pure state machine: events in, each with the time it
// happened; an action and the connection's one timer deadline out. No I/O and no clock of its
// own: ConnectionHandler performs the actions and passes `nowNs` (monotonic nanoseconds) in every
// event; tests pass a fake clock.
//
// Two properties hold by construction, and the tests check both:
// - every state that waits, on the peer or on a route, has a deadline, so nothing holds a
//   connection forever (a stalled body gets 408, a route that never answers gets 503);
// - after `.timerFired(now)` the next deadline is strictly later than `now`, so a timer is never
//   re-armed with zero delay in a loop.
//
// Shutdown ("draining") is a mode over the request phases rather than a phase of its own: a
// request in flight keeps its own deadline and finishes, and its answer then closes the connection.

public struct ConnectionLifecycle: Sendable {
    public enum State: Equatable, Sendable {
        /// Keep-alive between requests (or fresh from accept), since the last answer.
        case idle(sinceNs: UInt64)
        /// Part of a request line or its headers has arrived.
        case readingHeaders(sinceNs: UInt64)
        /// Headers complete; the body is still arriving.
        case readingBody(sinceNs: UInt64)
        /// A route answers later; reading is paused so pipelined answers stay in order.
        case awaitingResponse(sinceNs: UInt64)
        /// As `awaitingResponse`, and the peer has closed its side: answer, then close.
        case halfClosedAwaitingResponse(sinceNs: UInt64)
        /// Upgraded: `lastHeardNs` is the peer's last input, `nextPingNs` when to check for a ping.
        case webSocket(lastHeardNs: UInt64, nextPingNs: UInt64)
        /// The last bytes are going out; the transport's own flush deadline bounds this.
        case closing
        case closed
    }

    /// How far the parser got when it asked for more bytes.
    public enum RequestProgress: Sendable, Equatable {
        /// Nothing of a request yet (at most empty lines between requests).
        case betweenRequests
        case headers
        case body
    }

    public enum Event: Sendable, Equatable {
        /// The parser needs more bytes.
        case needMoreInput(RequestProgress, nowNs: UInt64)
        /// The request could not be parsed; the handler answers with the parse error.
        case malformedRequest(nowNs: UInt64)
        /// A complete request was answered at once.
        case answered(requestKeepAlive: Bool, nowNs: UInt64)
        /// A complete request will be answered later, through its sink.
        case deferred(nowNs: UInt64)
        /// The answer to the deferred request arrived.
        case deferredAnswered(requestKeepAlive: Bool, nowNs: UInt64)
        /// The connection switched to WebSocket.
        case upgraded(nowNs: UInt64)
        /// WebSocket bytes arrived.
        case webSocketInput(nowNs: UInt64)
        /// The peer closed its side (EOF).
        case peerClosed(nowNs: UInt64)
        /// The timer armed for the last deadline fired.
        case timerFired(nowNs: UInt64)
        /// Graceful shutdown began.
        case shutdownRequested(nowNs: UInt64)
        /// The handler started closing on its own (WebSocket close handshake, protocol error).
        case closeStarted
        /// The transport closed.
        case closed
    }

    public enum TimedOutPhase: Sendable, Equatable {
        case headers
        case body
    }

    public enum WebSocketCloseReason: Sendable, Equatable {
        case idle
        case shutdown
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Write the answer and keep the connection for the next request.
        case respondKeepingAlive
        /// Write the deferred answer, resume reading and offer any pipelined bytes again.
        case respondAndResumeReading
        /// Write the answer (or the parse error), then close once it is flushed.
        case respondThenClose
        /// An answer arrived after its deadline was answered for, or after the connection
        /// started closing: drop it.
        case discardLateResponse
        /// Stop reading until the deferred answer arrives.
        case pauseReading
        /// Answer 408 `request_timeout`, then close.
        case respondRequestTimeout(TimedOutPhase)
        /// The deferred route did not answer in time: answer 503, then close.
        case respondResponseTimeout
        /// Send a ping on a quiet WebSocket.
        case sendPing
        /// Start the WebSocket closing handshake with 1001 (going away).
        case closeWebSocket(WebSocketCloseReason)
        /// Close now; nothing is owed to the peer.
        case close
        /// Close once queued output is written (answers already sent still reach the peer).
        case closeAfterFlush
    }

    /// What to do with the connection's single timer.
    public enum TimerChange: Sendable, Equatable {
        case unchanged
        /// Cancel any armed timer and arm one for this monotonic deadline.
        case arm(deadlineNs: UInt64)
        case cancel
    }

    public struct Output: Sendable, Equatable {
        public var action: Action
        public var timer: TimerChange

        public init(action: Action, timer: TimerChange) {
            self.action = action
            self.timer = timer
        }
    }

    public let timeouts: Timeouts
    public private(set) var state: State
    /// Graceful shutdown began: the request in flight is the last one.
    public private(set) var isDraining = false
    /// The deadline the handler's timer is armed for, if any.
    public private(set) var armedDeadlineNs: UInt64?

    /// A new connection, idle from `nowNs`; arm the returned timer.
    public init(timeouts: Timeouts, nowNs: UInt64) {
        self.timeouts = timeouts
        self.state = .idle(sinceNs: nowNs)
    }

    /// The timer to arm for a new connection.
    public mutating func start() -> TimerChange {
        updateTimer()
    }

    /// True while the connection may parse and route another HTTP request.
    public var acceptsRequests: Bool {
        switch state {
        case .idle, .readingHeaders, .readingBody: return true
        default: return false
        }
    }

    /// The deadline the current state imposes, if it waits for anything.
    public var deadlineNs: UInt64? {
        switch state {
        case .idle(let since): return since.saturatingAdd(timeouts.idle)
        case .readingHeaders(let since): return since.saturatingAdd(timeouts.header)
        case .readingBody(let since): return since.saturatingAdd(timeouts.body)
        case .awaitingResponse(let since), .halfClosedAwaitingResponse(let since):
            return since.saturatingAdd(timeouts.deferredResponse)
        case .webSocket(let lastHeard, let nextPing): return min(lastHeard.saturatingAdd(timeouts.webSocketIdle), nextPing)
        case .closing, .closed: return nil
        }
    }

    public mutating func handle(_ event: Event) -> Output {
        let action: Action
        switch event {
        case .needMoreInput(let progress, let now): action = needMoreInput(progress, now: now)
        case .malformedRequest: action = finish(.respondThenClose)
        case .answered(let keepAlive, let now): action = answered(keepAlive: keepAlive, now: now)
        case .deferred(let now): action = deferred(now: now)
        case .deferredAnswered(let keepAlive, let now): action = deferredAnswered(keepAlive: keepAlive, now: now)
        case .upgraded(let now): action = upgraded(now: now)
        case .webSocketInput(let now): action = webSocketInput(now: now)
        case .peerClosed: action = peerClosed()
        case .timerFired(let now):
            armedDeadlineNs = nil  // it fired: whatever is due next must be armed anew
            action = timerFired(now: now)
        case .shutdownRequested: action = shutdownRequested()
        case .closeStarted: action = state == .closed ? .none : finish(.none)
        case .closed:
            state = .closed
            action = .none
        }
        return Output(action: action, timer: updateTimer())
    }

    // MARK: transitions

    private mutating func needMoreInput(_ progress: RequestProgress, now: UInt64) -> Action {
        switch (state, progress) {
        case (.idle, .headers): state = .readingHeaders(sinceNs: now)
        case (.idle, .body), (.readingHeaders, .body): state = .readingBody(sinceNs: now)
        default: break  // deadlines count from the phase's start, not from the latest byte
        }
        return .none
    }

    private mutating func answered(keepAlive: Bool, now: UInt64) -> Action {
        guard acceptsRequests else { return .discardLateResponse }
        if keepAlive && !isDraining {
            state = .idle(sinceNs: now)
            return .respondKeepingAlive
        }
        return finish(.respondThenClose)
    }

    private mutating func deferred(now: UInt64) -> Action {
        guard acceptsRequests else { return .none }
        state = .awaitingResponse(sinceNs: now)
        return .pauseReading
    }

    private mutating func deferredAnswered(keepAlive: Bool, now: UInt64) -> Action {
        switch state {
        case .awaitingResponse where keepAlive && !isDraining:
            state = .idle(sinceNs: now)
            return .respondAndResumeReading
        case .awaitingResponse, .halfClosedAwaitingResponse:
            return finish(.respondThenClose)
        default:
            return .discardLateResponse
        }
    }

    private mutating func upgraded(now: UInt64) -> Action {
        guard acceptsRequests else { return .none }
        state = .webSocket(lastHeardNs: now, nextPingNs: now.saturatingAdd(timeouts.webSocketPing))
        return .none
    }

    private mutating func webSocketInput(now: UInt64) -> Action {
        if case .webSocket(_, let nextPing) = state {
            state = .webSocket(lastHeardNs: now, nextPingNs: nextPing)
        }
        return .none
    }

    private mutating func peerClosed() -> Action {
        switch state {
        case .idle, .readingHeaders, .readingBody:
            // No request can complete any more; answers already queued still go out.
            return finish(.closeAfterFlush)
        case .awaitingResponse(let since):
            // The peer may still wait for its answer; reading stays off (the transport reports
            // EOF once and drops read interest), and the answer closes the connection.
            state = .halfClosedAwaitingResponse(sinceNs: since)
            return .none
        case .webSocket:
            return finish(.close)
        case .halfClosedAwaitingResponse, .closing, .closed:
            return .none
        }
    }

    private mutating func timerFired(now: UInt64) -> Action {
        guard let deadline = deadlineNs, now >= deadline else { return .none }
        switch state {
        case .idle: return finish(.close)
        case .readingHeaders: return finish(.respondRequestTimeout(.headers))
        case .readingBody: return finish(.respondRequestTimeout(.body))
        case .awaitingResponse, .halfClosedAwaitingResponse: return finish(.respondResponseTimeout)
        case .webSocket(let lastHeard, let nextPing):
            if now >= lastHeard.saturatingAdd(timeouts.webSocketIdle) { return finish(.closeWebSocket(.idle)) }
            // The ping check is due. Ping only a quiet peer: its traffic already proves it alive.
            state = .webSocket(lastHeardNs: lastHeard, nextPingNs: max(nextPing, now).saturatingAdd(timeouts.webSocketPing))
            let quietFor = now >= lastHeard ? now - lastHeard : 0
            return quietFor >= timeouts.webSocketPing / 2 ? .sendPing : .none
        case .closing, .closed: return .none
        }
    }

    private mutating func shutdownRequested() -> Action {
        isDraining = true
        switch state {
        case .idle: return finish(.close)
        case .webSocket: return finish(.closeWebSocket(.shutdown))
        default: return .none  // the request in flight finishes; its answer closes
        }
    }

    /// Enters `.closing` with `action` (the timer is cancelled by `updateTimer`).
    private mutating func finish(_ action: Action) -> Action {
        if state != .closed { state = .closing }
        return action
    }

    // MARK: the one timer

    /// Lazy re-arming: a deadline that moved later leaves the armed timer alone (it fires early
    /// and is re-armed then), so a busy keep-alive connection does not reschedule per request.
    private mutating func updateTimer() -> TimerChange {
        guard let wanted = deadlineNs else {
            if armedDeadlineNs == nil { return .unchanged }
            armedDeadlineNs = nil
            return .cancel
        }
        if let armed = armedDeadlineNs, armed <= wanted { return .unchanged }
        armedDeadlineNs = wanted
        return .arm(deadlineNs: wanted)
    }
}
