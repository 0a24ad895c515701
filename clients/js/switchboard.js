// Switchboard browser client: one WebSocket to the hub, topic subscriptions, and resumption with
// `since` across reconnects so that no event is lost or delivered twice (wire protocol v1).
// An ES module with no dependencies and no build step; the pure parts are exported for tests.

/** Close codes after which reconnecting cannot help: the token must change first. */
const TERMINAL_CLOSE_CODES = new Map([[4001, 'unauthorized'], [4003, 'forbidden']]);

/** The server refuses subscribe requests naming more than this many topics (ProtocolCodec). */
export const MAX_TOPICS_PER_REQUEST = 100;

export const DEFAULT_BACKOFF = Object.freeze({ baseMs: 250, capMs: 10000, stableMs: 5000 });

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(cap, base * 2^attempt)).
 * Jitter spreads a crowd of clients that lost the same server, so they do not return in step.
 */
export function backoffDelay(attempt, { baseMs = DEFAULT_BACKOFF.baseMs, capMs = DEFAULT_BACKOFF.capMs } = {}, random = Math.random) {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.min(Math.floor(attempt), 30) : 0;
  const ceiling = Math.min(capMs, baseMs * 2 ** n);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

/** Protocol patterns are an exact name or a trailing `prefix.*` matching any deeper name. */
export function isWildcard(pattern) {
  return pattern.endsWith('.*');
}

export function topicMatches(pattern, topic) {
  if (isWildcard(pattern)) return topic.startsWith(pattern.slice(0, -1)) && topic.length > pattern.length - 1;
  return pattern === topic;
}

/** The claims of a JWT, decoded without checking the signature (only the server can), or null. */
export function decodeTokenClaims(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}

/** True when the token carries an `exp` that has passed: connecting would only earn a 401. */
export function tokenExpired(token, nowMs) {
  const claims = decodeTokenClaims(token);
  return claims !== null && Number.isFinite(claims.exp) && claims.exp * 1000 <= nowMs;
}

/** A server frame as an object with a string `op`, or null for anything malformed. */
export function parseServerFrame(text) {
  if (typeof text !== 'string') return null;
  try {
    const frame = JSON.parse(text);
    return frame !== null && typeof frame === 'object' && typeof frame.op === 'string' ? frame : null;
  } catch {
    return null;
  }
}

/**
 * The events of one batch frame as delivered to callbacks, in frame order, or [] when the frame
 * is malformed. Events without an integer seq are dropped: they could not be ordered or resumed.
 */
export function splitBatch(frame) {
  if (!frame || typeof frame.topic !== 'string' || !Array.isArray(frame.events)) return [];
  const out = [];
  for (const e of frame.events) {
    if (!e || typeof e !== 'object' || !Number.isSafeInteger(e.seq)) continue;
    out.push({ topic: frame.topic, seq: e.seq, type: e.type, ts: e.ts, data: e.data, meta: e.meta });
  }
  return out;
}

/**
 * Per concrete topic, the (epoch, last seq) this client has delivered. It decides what to send as
 * `since`, which events are duplicates, and when history was lost (a gap).
 *
 * Topics learned through a wildcard have no known epoch (batch frames do not carry one unless the
 * server adds `epoch`), so they cannot be resumed with `since`; after a reconnect their next batch
 * is checked for continuity instead, and a break is reported as a gap.
 */
export class TopicPositions {
  constructor() {
    /** @type {Map<string, {epoch: string|null, seq: number, rebase: boolean}>} */
    this.byTopic = new Map();
  }

  get(topic) {
    return this.byTopic.get(topic);
  }

  /** `since` for a subscribe naming `patterns`: each known topic with an epoch that they match. */
  sinceFor(patterns) {
    const since = {};
    for (const [topic, pos] of this.byTopic) {
      if (pos.epoch === null) continue;
      if (patterns.some((p) => topicMatches(p, topic))) since[topic] = { epoch: pos.epoch, seq: pos.seq };
    }
    return since;
  }

  /** A new connection: topics without an epoch must prove continuity with their next batch. */
  connectionReset() {
    for (const pos of this.byTopic.values()) if (pos.epoch === null) pos.rebase = true;
  }

  /** Forgets topics no remaining pattern covers, so a later subscribe starts fresh. */
  retain(patterns) {
    for (const topic of [...this.byTopic.keys()]) {
      if (!patterns.some((p) => topicMatches(p, topic))) this.byTopic.delete(topic);
    }
  }

  /**
   * Applies a subscribe ack's `topics` object. `since` is what the request sent. Returns the gaps
   * as [topic, info] pairs: recovery refused, or an epoch that changed under us.
   */
  applySubscribeAck(ackTopics, since = {}) {
    const gaps = [];
    if (!ackTopics || typeof ackTopics !== 'object') return gaps;
    for (const [topic, entry] of Object.entries(ackTopics)) {
      if (!entry || typeof entry !== 'object' || entry.wildcard === true) continue;
      if (typeof entry.epoch !== 'string' || !Number.isSafeInteger(entry.seq)) continue;
      const pos = this.byTopic.get(topic);
      const sent = Object.prototype.hasOwnProperty.call(since, topic) ? since[topic] : null;
      if (entry.recovered === false) {
        gaps.push([topic, { reason: 'not_recovered', epoch: entry.epoch, seq: entry.seq, previous: sent ?? (pos ? { epoch: pos.epoch, seq: pos.seq } : null) }]);
        this.byTopic.set(topic, { epoch: entry.epoch, seq: entry.seq, rebase: false });
      } else if (entry.recovered === true && pos) {
        // The missed events follow as batches; our own position stays the last one delivered.
        pos.epoch = entry.epoch;
        pos.rebase = false;
        pos.awaitingReplay = false;
      } else if (!pos) {
        this.byTopic.set(topic, { epoch: entry.epoch, seq: entry.seq, rebase: false });
      } else if (pos.epoch === null) {
        pos.epoch = entry.epoch;
      } else if (pos.epoch !== entry.epoch) {
        gaps.push([topic, { reason: 'epoch_changed', epoch: entry.epoch, seq: entry.seq, previous: { epoch: pos.epoch, seq: pos.seq } }]);
        this.byTopic.set(topic, { epoch: entry.epoch, seq: entry.seq, rebase: false });
      }
    }
    return gaps;
  }

  /**
   * Rewinds a topic just acked at (epoch, seq) to seq 0, to ask for its history with `since`.
   * Until the answer, live events of the topic are dropped: each has a seq the replay will
   * include (the ack of the history request names the last replayed seq, and live events after
   * it come after the replay). Returns the `since` entry to send.
   */
  rewindForHistory(topic) {
    const pos = this.byTopic.get(topic);
    if (!pos || pos.epoch === null) return null;
    pos.seq = 0;
    pos.rebase = false;
    pos.awaitingReplay = true;
    return { epoch: pos.epoch, seq: 0 };
  }

  /**
   * Filters one topic's events (in seq order) against the position: drops seq <= last as
   * duplicates, reports a jump past last+1 as a gap and continues from there.
   * `epoch` is the batch's epoch when the server sends one. Returns {deliver, gaps}.
   */
  acceptEvents(topic, events, epoch = null) {
    const deliver = [];
    const gaps = [];
    let pos = this.byTopic.get(topic);
    if (pos && epoch !== null && pos.epoch !== null && pos.epoch !== epoch) {
      gaps.push({ reason: 'epoch_changed', epoch, previous: { epoch: pos.epoch, seq: pos.seq } });
      pos = undefined;
      this.byTopic.delete(topic);
    }
    if (pos?.awaitingReplay) return { deliver, gaps };
    for (const event of events) {
      if (!pos) {
        pos = { epoch, seq: event.seq, rebase: false };
        this.byTopic.set(topic, pos);
        deliver.push(event);
        continue;
      }
      if (pos.rebase) {
        pos.rebase = false;
        if (event.seq !== pos.seq + 1) {
          gaps.push({ reason: event.seq > pos.seq ? 'seq_gap' : 'seq_reset', epoch: pos.epoch, expected: pos.seq + 1, received: event.seq });
          pos.seq = event.seq;
          deliver.push(event);
          continue;
        }
      }
      if (event.seq <= pos.seq) continue;
      if (event.seq > pos.seq + 1) {
        gaps.push({ reason: 'seq_gap', epoch: pos.epoch, expected: pos.seq + 1, received: event.seq });
      }
      pos.seq = event.seq;
      if (epoch !== null) pos.epoch = epoch;
      deliver.push(event);
    }
    return { deliver, gaps };
  }
}

/** An Error with the stable code of a server `error` frame or of the client itself. */
export class SwitchboardError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

/**
 * The client. Options: url (the hub's ws:// or wss:// /ws address), token (a JWT, or a function
 * returning one or a Promise of one, asked again before every connect), onGap(topic, info),
 * onStatus(status, detail), onError(error), onPresence({topic, joined, left}) (presence changes of
 * topics subscribed with `presence: true`), backoff {baseMs, capMs, stableMs}, pingIntervalMs
 * (0 disables keep-alive), WebSocket (constructor to use, for tests), random, timers.
 *
 * Statuses: connecting, open, subscribed, reconnecting, unauthorized, forbidden, closed.
 */
export class Switchboard {
  constructor({ url, token, onGap, onStatus, onError, onPresence, backoff, pingIntervalMs = 25000, WebSocket: Socket, random, timers } = {}) {
    if (typeof url !== 'string' || url === '') throw new SwitchboardError('bad_options', 'url is required');
    this.url = url;
    this.token = token;
    this.onGap = onGap ?? (() => {});
    this.onStatus = onStatus ?? (() => {});
    this.onError = onError ?? (() => {});
    this.onPresence = onPresence ?? (() => {});
    this.backoff = { ...DEFAULT_BACKOFF, ...(backoff ?? {}) };
    this.pingIntervalMs = pingIntervalMs;
    this.Socket = Socket ?? globalThis.WebSocket;
    this.random = random ?? Math.random;
    this.timers = timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h), now: () => Date.now() };
    this.positions = new TopicPositions();
    /** @type {Map<string, Set<Function>>} pattern → callbacks */
    this.subscriptions = new Map();
    /** @type {Set<string>} exact topics whose recent history is wanted on their first ack */
    this.historyWanted = new Set();
    /** @type {Set<string>} exact topics subscribed with presence: true (rejoined on every connect) */
    this.presenceTopics = new Set();
    /** @type {Map<number, object>} request id → what to do with its ack or error */
    this.pending = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this._ws = null;
    this.wanted = false;
    this.reconnectTimer = null;
    this.stableTimer = null;
    this.pingTimer = null;
    this.awaitingPong = false;
    this.connectionCount = 0;
  }

  /** Starts connecting (and keeps reconnecting) until close() or a terminal refusal. */
  connect() {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    this._open();
  }

  /**
   * Delivers every event of `topicOrPattern` to `onEvent`, one by one and in seq order per topic.
   * Returns the function that ends this subscription.
   *
   * Options: `history: true` (exact topics only) first delivers what the server's history still
   * holds of the topic (by default the last 1000 events of the last 10 minutes), then live events:
   * after the first ack the client asks again with `since` seq 0. If the history no longer
   * reaches back to seq 1, nothing is replayed and onGap reports `not_recovered`.
   * `presence: true` (exact topics only) joins the topic's presence: onPresence receives every
   * join and leave of that topic, this connection's own join first.
   */
  subscribe(topicOrPattern, onEvent, { history = false, presence = false } = {}) {
    if (typeof topicOrPattern !== 'string' || typeof onEvent !== 'function') {
      throw new SwitchboardError('bad_request', 'subscribe(topicOrPattern: string, onEvent: function)');
    }
    if (presence && isWildcard(topicOrPattern)) {
      throw new SwitchboardError('bad_request', 'presence needs an exact topic, not a pattern');
    }
    const joinsPresence = presence && !this.presenceTopics.has(topicOrPattern);
    if (presence) this.presenceTopics.add(topicOrPattern);
    let callbacks = this.subscriptions.get(topicOrPattern);
    const isNew = !callbacks;
    if (isNew) {
      callbacks = new Set();
      this.subscriptions.set(topicOrPattern, callbacks);
    }
    // A wrapper, so the same function subscribed twice is also unsubscribed one at a time.
    const entry = (event) => onEvent(event);
    callbacks.add(entry);
    if (history && isNew && !isWildcard(topicOrPattern) && !this.positions.get(topicOrPattern)) {
      this.historyWanted.add(topicOrPattern);
    }
    if ((isNew || joinsPresence) && this._isOpen()) this._sendSubscribe([topicOrPattern]);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const set = this.subscriptions.get(topicOrPattern);
      if (!set) return;
      set.delete(entry);
      if (set.size > 0) return;
      this.subscriptions.delete(topicOrPattern);
      this.historyWanted.delete(topicOrPattern);
      this.presenceTopics.delete(topicOrPattern);
      this.positions.retain([...this.subscriptions.keys()]);
      if (this._isOpen()) this._send({ op: 'unsubscribe', id: this._track({ kind: 'unsubscribe' }), topics: [topicOrPattern] });
    };
  }

  /** Publishes one event over the socket (service tokens only). Resolves with its seq. */
  publish(topic, type, data) {
    if (!this._isOpen()) return Promise.reject(new SwitchboardError('not_connected', 'publish needs an open connection'));
    return new Promise((resolve, reject) => {
      const id = this._track({ kind: 'publish', resolve, reject });
      this._send({ op: 'publish', id, topic, type, data });
    });
  }

  /**
   * Who is present on `topic` now: resolves with `[{sub, connections}]` (sorted by sub). The
   * token must allow reading the topic; it need not be subscribed.
   */
  presence(topic) {
    if (!this._isOpen()) return Promise.reject(new SwitchboardError('not_connected', 'presence needs an open connection'));
    return new Promise((resolve, reject) => {
      const id = this._track({ kind: 'presence', resolve, reject });
      this._send({ op: 'presence', id, topic });
    });
  }

  /** Closes for good: no reconnect; pending requests are rejected. */
  close() {
    this.wanted = false;
    this._clearTimers();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      this._detach(ws);
      try { ws.close(1000, 'client closed'); } catch { /* already closing */ }
    }
    this._failPending('closed', 'client closed');
    this.onStatus('closed', {});
  }

  // ---- connection lifecycle ----

  async _open() {
    if (!this.wanted) return;
    let token;
    try {
      token = typeof this.token === 'function' ? await this.token() : this.token;
    } catch (e) {
      this._scheduleReconnect({ code: 0, reason: `token provider failed: ${e?.message ?? e}` });
      return;
    }
    if (!this.wanted) return;
    if (typeof token !== 'string' || token === '' || tokenExpired(token, this.timers.now())) {
      this._stop('unauthorized', { reason: 'token missing or expired' });
      return;
    }
    const sep = this.url.includes('?') ? '&' : '?';
    this.onStatus('connecting', { attempt: this.attempt });
    let ws;
    try {
      ws = new this.Socket(`${this.url}${sep}token=${encodeURIComponent(token)}`);
    } catch (e) {
      this._scheduleReconnect({ code: 0, reason: `cannot create socket: ${e?.message ?? e}` });
      return;
    }
    this._ws = ws;
    ws.onopen = () => this._onOpen(ws);
    ws.onmessage = (m) => this._onMessage(ws, m);
    ws.onclose = (c) => this._onClose(ws, c);
    ws.onerror = () => { /* a close event always follows; it decides */ };
  }

  _onOpen(ws) {
    if (ws !== this._ws) return;
    this.connectionCount += 1;
    this.positions.connectionReset();
    this.stableTimer = this.timers.setTimeout(() => { this.attempt = 0; }, this.backoff.stableMs);
    this.onStatus('open', { connection: this.connectionCount });
    const patterns = [...this.subscriptions.keys()];
    for (let i = 0; i < patterns.length; i += MAX_TOPICS_PER_REQUEST) {
      this._sendSubscribe(patterns.slice(i, i + MAX_TOPICS_PER_REQUEST));
    }
    this._schedulePing();
  }

  _onClose(ws, event) {
    if (ws !== this._ws) return;
    this._detach(ws);
    this._ws = null;
    this._clearTimers();
    this._failPending('connection_lost', 'connection closed before the answer arrived');
    if (!this.wanted) return;
    const code = event?.code ?? 1006;
    const terminal = TERMINAL_CLOSE_CODES.get(code);
    if (terminal) {
      this._stop(terminal, { code, reason: event?.reason ?? '' });
      return;
    }
    this._scheduleReconnect({ code, reason: event?.reason ?? '' });
  }

  _scheduleReconnect(detail) {
    if (!this.wanted) return;
    const delayMs = backoffDelay(this.attempt, this.backoff, this.random);
    this.attempt += 1;
    this.onStatus('reconnecting', { ...detail, delayMs, attempt: this.attempt });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      this._open();
    }, delayMs);
  }

  /** Stops for good after a refusal that a retry cannot fix (4001, 4003, expired token). */
  _stop(status, detail) {
    this.wanted = false;
    this._clearTimers();
    this._failPending(status, `connection refused: ${status}`);
    this.onStatus(status, detail);
  }

  _detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  }

  _clearTimers() {
    for (const name of ['reconnectTimer', 'stableTimer', 'pingTimer']) {
      if (this[name] !== null) this.timers.clearTimeout(this[name]);
      this[name] = null;
    }
    this.awaitingPong = false;
  }

  /** Keep-alive: a ping per interval; no pong by the next one means the path is dead. */
  _schedulePing() {
    if (!(this.pingIntervalMs > 0)) return;
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = null;
      const ws = this._ws;
      if (!ws || !this._isOpen()) return;
      if (this.awaitingPong) {
        try { ws.close(4000, 'no pong'); } catch { /* ignore */ }
        this._onClose(ws, { code: 1006, reason: 'no pong' });
        return;
      }
      this.awaitingPong = true;
      this._send({ op: 'ping', id: this._track({ kind: 'ping' }) });
      this._schedulePing();
    }, this.pingIntervalMs);
  }

  _isOpen() {
    return this._ws !== null && this._ws.readyState === 1;
  }

  _send(frame) {
    try {
      this._ws.send(JSON.stringify(frame));
    } catch (e) {
      this.onError(new SwitchboardError('send_failed', String(e?.message ?? e)));
    }
  }

  _track(entry) {
    const id = this.nextId++;
    this.pending.set(id, entry);
    return id;
  }

  _failPending(code, message) {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.reject?.(new SwitchboardError(code, message));
  }

  /** One request for the topics without presence, one for those with (the flag covers a whole request). */
  _sendSubscribe(topics) {
    const withPresence = topics.filter((t) => this.presenceTopics.has(t));
    const plain = topics.filter((t) => !this.presenceTopics.has(t));
    for (const [group, presence] of [[plain, false], [withPresence, true]]) {
      if (group.length === 0) continue;
      const since = this.positions.sinceFor(group);
      const frame = { op: 'subscribe', id: this._track({ kind: 'subscribe', topics: group, since }), topics: group };
      if (Object.keys(since).length > 0) frame.since = since;
      if (presence) frame.presence = true;
      this._send(frame);
    }
  }

  // ---- inbound frames ----

  _onMessage(ws, message) {
    if (ws !== this._ws) return;
    const frame = parseServerFrame(message?.data);
    if (!frame) {
      this.onError(new SwitchboardError('bad_frame', 'unparseable frame from server'));
      return;
    }
    switch (frame.op) {
      case 'batch': return this._onBatch(frame);
      case 'ack': return this._onAck(frame);
      case 'error': return this._onErrorFrame(frame);
      case 'presence': return this._onPresence(frame);
      case 'pong':
        this.awaitingPong = false;
        this.pending.delete(frame.id);
        return undefined;
      default:
        return undefined; // unknown ops are ignored: newer servers may add some
    }
  }

  _onAck(frame) {
    const entry = this.pending.get(frame.id);
    if (!entry) return;
    this.pending.delete(frame.id);
    if (entry.kind === 'publish') {
      if (Number.isSafeInteger(frame.seq)) entry.resolve(frame.seq);
      else entry.reject(new SwitchboardError('bad_frame', 'publish ack without seq'));
    } else if (entry.kind === 'subscribe') {
      for (const [topic, info] of this.positions.applySubscribeAck(frame.topics, entry.since)) this._gap(topic, info);
      this._requestHistory(entry.topics);
      this.onStatus('subscribed', { topics: frame.topics ?? {} });
    }
  }

  /** After a first ack: asks for the history of the topics subscribed with `history: true`. */
  _requestHistory(ackedTopics) {
    for (const topic of ackedTopics) {
      if (!this.historyWanted.delete(topic)) continue;
      const pos = this.positions.get(topic);
      if (!pos || pos.seq === 0) continue; // nothing published yet: live events are the history
      const since = { [topic]: this.positions.rewindForHistory(topic) };
      this._send({ op: 'subscribe', id: this._track({ kind: 'subscribe', topics: [topic], since }), topics: [topic], since });
    }
  }

  /** A presence answer (it carries the request's id) or a change frame. */
  _onPresence(frame) {
    const entry = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (entry?.kind === 'presence') {
      this.pending.delete(frame.id);
      if (Array.isArray(frame.members)) entry.resolve(frame.members);
      else entry.reject(new SwitchboardError('bad_frame', 'presence answer without members'));
      return;
    }
    if (typeof frame.topic !== 'string' || !this.presenceTopics.has(frame.topic)) return;
    const members = (list) => (Array.isArray(list) ? list.filter((m) => m && typeof m.sub === 'string') : []);
    try {
      this.onPresence({ topic: frame.topic, joined: members(frame.joined), left: members(frame.left) });
    } catch (e) {
      this.onError(new SwitchboardError('callback_failed', String(e?.message ?? e)));
    }
  }

  _onErrorFrame(frame) {
    const error = new SwitchboardError(typeof frame.code === 'string' ? frame.code : 'unknown', String(frame.message ?? ''));
    const entry = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (entry) {
      this.pending.delete(frame.id);
      error.op = entry.kind;
      if (entry.topics) error.topics = entry.topics;
      if (entry.reject) {
        entry.reject(error);
        return;
      }
    }
    this.onError(error);
  }

  _onBatch(frame) {
    const events = splitBatch(frame);
    if (events.length === 0) return;
    const topic = frame.topic;
    const patterns = [...this.subscriptions.keys()].filter((p) => topicMatches(p, topic));
    if (patterns.length === 0) return; // in flight after an unsubscribe
    const epoch = typeof frame.epoch === 'string' ? frame.epoch : null;
    const { deliver, gaps } = this.positions.acceptEvents(topic, events, epoch);
    for (const info of gaps) this._gap(topic, info);
    for (const event of deliver) {
      for (const p of patterns) {
        for (const callback of this.subscriptions.get(p) ?? []) {
          try {
            callback(event);
          } catch (e) {
            this.onError(new SwitchboardError('callback_failed', String(e?.message ?? e)));
          }
        }
      }
    }
  }

  _gap(topic, info) {
    try {
      this.onGap(topic, info);
    } catch (e) {
      this.onError(new SwitchboardError('callback_failed', String(e?.message ?? e)));
    }
  }
}
