// Unit tests of the browser client's pure logic and of its reconnect behaviour, run with
// `node --test clients/js/test/` (node 20+): a fake WebSocket and fake timers stand in for the
// browser, so every close code, backoff delay and resume frame is checked without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Switchboard, TopicPositions, backoffDelay, topicMatches, splitBatch, parseServerFrame,
  decodeTokenClaims, tokenExpired,
} from '../switchboard.js';

function b64url(obj) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}
function jwt(claims) {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.c2ln`;
}
const FUTURE = Math.floor(Date.now() / 1000) + 3600;
const TOKEN = jwt({ sub: 'a', role: 'agent', topics: ['inbox'], exp: FUTURE });

test('backoff stays within [0, min(cap, base*2^attempt))', () => {
  const opts = { baseMs: 250, capMs: 10000 };
  for (let attempt = 0; attempt < 40; attempt++) {
    const ceiling = Math.min(10000, 250 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, opts, () => 0), 0);
    const high = backoffDelay(attempt, opts, () => 0.999999);
    assert.ok(high < ceiling && high >= ceiling - 1, `attempt ${attempt}: ${high} vs ${ceiling}`);
  }
  assert.equal(backoffDelay(0, opts, () => 0.5), 125);
  assert.equal(backoffDelay(3, opts, () => 0.5), 1000);
  assert.equal(backoffDelay(1e9, opts, () => 0.5), 5000);
  // garbage in: a NaN attempt or a broken random source still gives a bounded delay
  assert.equal(backoffDelay(NaN, opts, () => 0.5), 125);
  assert.equal(backoffDelay(2, opts, () => NaN), 0);
  assert.equal(backoffDelay(2, opts, () => 7), 1000);
});

test('topic patterns: exact names and trailing prefix.* of any depth', () => {
  assert.ok(topicMatches('inbox', 'inbox'));
  assert.ok(!topicMatches('inbox', 'inbox.x'));
  assert.ok(topicMatches('conversation.*', 'conversation.155'));
  assert.ok(topicMatches('conversation.*', 'conversation.a.b'));
  assert.ok(!topicMatches('conversation.*', 'conversation'));
  assert.ok(!topicMatches('conversation.*', 'conversation.'));
  assert.ok(!topicMatches('conversation.*', 'conversations.1'));
});

test('batch frames split into events in order; malformed parts are dropped', () => {
  const frame = { op: 'batch', topic: 't', events: [
    { seq: 1, type: 'a', ts: 10, data: { x: 1 } },
    { seq: 'two', type: 'bad' },
    null,
    { seq: 3, type: 'c', ts: 12, data: null, meta: { m: 1 } },
  ] };
  assert.deepEqual(splitBatch(frame), [
    { topic: 't', seq: 1, type: 'a', ts: 10, data: { x: 1 }, meta: undefined },
    { topic: 't', seq: 3, type: 'c', ts: 12, data: null, meta: { m: 1 } },
  ]);
  assert.deepEqual(splitBatch({ op: 'batch', events: [] }), []);
  assert.deepEqual(splitBatch({ op: 'batch', topic: 't', events: 'no' }), []);
  assert.equal(parseServerFrame('{"op":"pong"'), null);
  assert.equal(parseServerFrame('[1]'), null);
  assert.equal(parseServerFrame('{"op":1}'), null);
  assert.deepEqual(parseServerFrame('{"op":"pong","id":4}'), { op: 'pong', id: 4 });
});

test('token claims are read without verification; exp decides expiry', () => {
  assert.deepEqual(decodeTokenClaims(TOKEN).topics, ['inbox']);
  assert.equal(decodeTokenClaims('a.b'), null);
  assert.equal(decodeTokenClaims('a.!!!.c'), null);
  assert.equal(decodeTokenClaims(`x.${b64url([1])}.y`), null);
  assert.ok(!tokenExpired(TOKEN, Date.now()));
  assert.ok(tokenExpired(jwt({ exp: 100 }), Date.now()));
  assert.ok(!tokenExpired('not a jwt', Date.now())); // the server decides about those
});

const ev = (seq) => ({ topic: 't', seq });

test('positions: duplicates dropped, gaps reported, since built from known epochs', () => {
  const p = new TopicPositions();
  assert.deepEqual(p.applySubscribeAck({ t: { epoch: 'e1', seq: 2 }, 'w.*': { wildcard: true } }), []);
  let r = p.acceptEvents('t', [ev(2), ev(3), ev(4)]);
  assert.deepEqual(r.deliver.map((e) => e.seq), [3, 4]);
  assert.deepEqual(r.gaps, []);
  r = p.acceptEvents('t', [ev(4), ev(7), ev(8)]);
  assert.deepEqual(r.deliver.map((e) => e.seq), [7, 8]);
  assert.deepEqual(r.gaps, [{ reason: 'seq_gap', epoch: 'e1', expected: 5, received: 7 }]);
  p.acceptEvents('w.1', [{ topic: 'w.1', seq: 5 }]);
  assert.deepEqual(p.sinceFor(['t', 'w.*']), { t: { epoch: 'e1', seq: 8 } });
  assert.deepEqual(p.sinceFor(['other']), {});
});

test('positions: recovered:true keeps our seq, recovered:false and a new epoch are gaps', () => {
  const p = new TopicPositions();
  p.applySubscribeAck({ a: { epoch: 'e1', seq: 0 }, b: { epoch: 'e1', seq: 0 } });
  p.acceptEvents('a', [ev(1), ev(2)]);
  p.acceptEvents('b', [ev(1)]);
  const since = p.sinceFor(['a', 'b']);
  const gaps = p.applySubscribeAck({ a: { epoch: 'e1', seq: 5, recovered: true }, b: { epoch: 'e2', seq: 3, recovered: false } }, since);
  assert.deepEqual(gaps, [['b', { reason: 'not_recovered', epoch: 'e2', seq: 3, previous: { epoch: 'e1', seq: 1 } }]]);
  assert.deepEqual(p.acceptEvents('a', [ev(3), ev(4), ev(5)]).deliver.map((e) => e.seq), [3, 4, 5]);
  assert.deepEqual(p.acceptEvents('b', [ev(3), ev(4)]).deliver.map((e) => e.seq), [4]);
  assert.deepEqual(p.applySubscribeAck({ a: { epoch: 'e9', seq: 1 } }), [['a', { reason: 'epoch_changed', epoch: 'e9', seq: 1, previous: { epoch: 'e1', seq: 5 } }]]);
  // a batch that names an epoch other than ours restarts the topic's position
  const r = p.acceptEvents('a', [ev(1)], 'e10');
  assert.equal(r.gaps[0].reason, 'epoch_changed');
  assert.deepEqual(r.deliver.map((e) => e.seq), [1]);
});

test('positions: wildcard topics without an epoch must continue after a reconnect', () => {
  const p = new TopicPositions();
  p.acceptEvents('w.1', [{ seq: 4 }, { seq: 5 }]);
  p.acceptEvents('w.2', [{ seq: 9 }]);
  p.acceptEvents('w.3', [{ seq: 2 }]);
  p.connectionReset();
  assert.deepEqual(p.acceptEvents('w.1', [{ seq: 6 }]).gaps, []);
  assert.deepEqual(p.acceptEvents('w.2', [{ seq: 12 }]).gaps, [{ reason: 'seq_gap', epoch: null, expected: 10, received: 12 }]);
  const reset = p.acceptEvents('w.3', [{ seq: 1 }, { seq: 2 }]);
  assert.equal(reset.gaps[0].reason, 'seq_reset');
  assert.deepEqual(reset.deliver.map((e) => e.seq), [1, 2]);
  p.retain(['w.1']);
  assert.equal(p.get('w.2'), undefined);
  assert.ok(p.get('w.1'));
});

// ---- the client against a fake socket and fake timers ----

class FakeTimers {
  constructor() { this.t = 0; this.queue = []; this.seq = 0; }
  now() { return Date.now() + this.t; }
  setTimeout(fn, ms) { const h = ++this.seq; this.queue.push({ h, at: this.t + ms, fn }); return h; }
  clearTimeout(h) { this.queue = this.queue.filter((x) => x.h !== h); }
  pendingDelays() { return this.queue.map((x) => x.at - this.t); }
  async advance(ms) {
    const end = this.t + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function harness(options = {}) {
  const sockets = [];
  class FakeSocket {
    constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
    send(text) { this.sent.push(JSON.parse(text)); }
    close(code) { this.closedWith = code; this.readyState = 3; }
    open() { this.readyState = 1; this.onopen?.(); }
    receive(frame) { this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) }); }
    drop(code, reason = '') { this.readyState = 3; this.onclose?.({ code, reason }); }
  }
  const timers = new FakeTimers();
  const statuses = [];
  const gaps = [];
  const errors = [];
  const sb = new Switchboard({
    url: 'ws://hub/ws', token: TOKEN, WebSocket: FakeSocket, timers, random: () => 0.5, pingIntervalMs: 0,
    onStatus: (s, d) => statuses.push([s, d]), onGap: (t, i) => gaps.push([t, i]), onError: (e) => errors.push(e),
    ...options,
  });
  return { sb, sockets, timers, statuses, gaps, errors };
}

test('client resumes with since after an abnormal close: no loss, no duplicate', async () => {
  const { sb, sockets, timers, statuses, gaps } = harness();
  const got = [];
  sb.subscribe('inbox', (e) => got.push(e.seq));
  sb.connect();
  await flush();
  assert.equal(sockets.length, 1);
  assert.ok(sockets[0].url.startsWith('ws://hub/ws?token='));
  sockets[0].open();
  assert.deepEqual(sockets[0].sent, [{ op: 'subscribe', id: 1, topics: ['inbox'] }]);
  sockets[0].receive({ op: 'ack', id: 1, topics: { inbox: { epoch: 'e1', seq: 0 } } });
  sockets[0].receive({ op: 'batch', topic: 'inbox', events: [{ seq: 1 }, { seq: 2 }] });
  sockets[0].receive({ op: 'batch', topic: 'inbox', events: [{ seq: 3 }] });
  sockets[0].drop(1006);
  assert.deepEqual(statuses.at(-1), ['reconnecting', { code: 1006, reason: '', delayMs: 125, attempt: 1 }]);
  await timers.advance(124);
  assert.equal(sockets.length, 1);
  await timers.advance(1);
  assert.equal(sockets.length, 2);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent, [{ op: 'subscribe', id: 2, topics: ['inbox'], since: { inbox: { epoch: 'e1', seq: 3 } } }]);
  sockets[1].receive({ op: 'ack', id: 2, topics: { inbox: { epoch: 'e1', seq: 6, recovered: true } } });
  sockets[1].receive({ op: 'batch', topic: 'inbox', events: [{ seq: 3 }, { seq: 4 }, { seq: 5 }, { seq: 6 }] });
  sockets[1].receive({ op: 'batch', topic: 'inbox', events: [{ seq: 7 }] });
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(gaps, []);
  // frames of the old socket, if any still arrive, are ignored
  sockets[0].onmessage?.({ data: '{"op":"batch","topic":"inbox","events":[{"seq":8}]}' });
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7]);
});

test('history: true asks again with since seq 0 and delivers the history, then live, once each', async () => {
  const { sb, sockets, gaps } = harness();
  const got = [];
  sb.subscribe('inbox', (e) => got.push(e.seq), { history: true });
  sb.connect();
  await flush();
  sockets[0].open();
  sockets[0].receive({ op: 'ack', id: 1, topics: { inbox: { epoch: 'e1', seq: 3 } } });
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'subscribe', id: 2, topics: ['inbox'], since: { inbox: { epoch: 'e1', seq: 0 } } });
  // a live event between the two acks: the replay will contain it
  sockets[0].receive({ op: 'batch', topic: 'inbox', epoch: 'e1', events: [{ seq: 4 }] });
  sockets[0].receive({ op: 'ack', id: 2, topics: { inbox: { epoch: 'e1', seq: 4, recovered: true } } });
  sockets[0].receive({ op: 'batch', topic: 'inbox', epoch: 'e1', events: [{ seq: 1 }, { seq: 2 }, { seq: 3 }, { seq: 4 }] });
  sockets[0].receive({ op: 'batch', topic: 'inbox', epoch: 'e1', events: [{ seq: 5 }] });
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
  assert.deepEqual(gaps, []);
  assert.equal(sockets[0].sent.length, 2, 'history is asked for once');
});

test('history: true on a topic nobody published to asks nothing more; lost history is a gap', async () => {
  const { sb, sockets, gaps } = harness();
  const got = [];
  sb.subscribe('inbox', (e) => got.push(e.seq), { history: true });
  sb.subscribe('conversation.1', (e) => got.push(e.seq), { history: true });
  sb.connect();
  await flush();
  sockets[0].open();
  sockets[0].receive({ op: 'ack', id: 1, topics: { inbox: { epoch: 'e1', seq: 0 }, 'conversation.1': { epoch: 'e2', seq: 2000 } } });
  assert.deepEqual(sockets[0].sent.slice(1), [
    { op: 'subscribe', id: 2, topics: ['conversation.1'], since: { 'conversation.1': { epoch: 'e2', seq: 0 } } }]);
  sockets[0].receive({ op: 'ack', id: 2, topics: { 'conversation.1': { epoch: 'e2', seq: 2001, recovered: false } } });
  sockets[0].receive({ op: 'batch', topic: 'conversation.1', epoch: 'e2', events: [{ seq: 2002 }] });
  assert.deepEqual(got, [2002]);
  assert.deepEqual(gaps.map(([t, i]) => [t, i.reason]), [['conversation.1', 'not_recovered']]);
});

test('client reports recovered:false and seq gaps through onGap', async () => {
  const { sb, sockets, timers, gaps } = harness();
  sb.subscribe('inbox', () => {});
  sb.connect();
  await flush();
  sockets[0].open();
  sockets[0].receive({ op: 'ack', id: 1, topics: { inbox: { epoch: 'e1', seq: 10 } } });
  sockets[0].receive({ op: 'batch', topic: 'inbox', events: [{ seq: 11 }, { seq: 13 }] });
  assert.deepEqual(gaps, [['inbox', { reason: 'seq_gap', epoch: 'e1', expected: 12, received: 13 }]]);
  sockets[0].drop(4009);
  await timers.advance(125);
  sockets[1].open();
  sockets[1].receive({ op: 'ack', id: 2, topics: { inbox: { epoch: 'e2', seq: 4, recovered: false } } });
  assert.deepEqual(gaps[1], ['inbox', { reason: 'not_recovered', epoch: 'e2', seq: 4, previous: { epoch: 'e1', seq: 13 } }]);
});

for (const [code, status] of [[4001, 'unauthorized'], [4003, 'forbidden']]) {
  test(`close code ${code} stops reconnecting with status ${status}`, async () => {
    const { sb, sockets, timers, statuses } = harness();
    sb.subscribe('inbox', () => {});
    sb.connect();
    await flush();
    sockets[0].open();
    sockets[0].drop(code, 'nope');
    assert.deepEqual(statuses.at(-1), [status, { code, reason: 'nope' }]);
    await timers.advance(60000);
    assert.equal(sockets.length, 1);
  });
}

for (const code of [4008, 4009, 1001, 1006, 1011]) {
  test(`close code ${code} reconnects`, async () => {
    const { sb, sockets, timers } = harness();
    sb.connect();
    await flush();
    sockets[0].open();
    sockets[0].drop(code);
    await timers.advance(250);
    assert.equal(sockets.length, 2);
  });
}

test('an expired token is refused locally: no connection attempt', async () => {
  const { sb, sockets, statuses } = harness({ token: jwt({ sub: 'a', exp: 1000 }) });
  sb.connect();
  await flush();
  assert.equal(sockets.length, 0);
  assert.deepEqual(statuses, [['unauthorized', { reason: 'token missing or expired' }]]);
});

test('backoff grows while handshakes fail, is capped, and resets after a stable connection', async () => {
  const { sb, sockets, timers, statuses } = harness({ random: () => 0.999 });
  sb.connect();
  await flush();
  const delays = [];
  for (let i = 0; i < 8; i++) {
    sockets.at(-1).drop(1006);
    delays.push(statuses.at(-1)[1].delayMs);
    await timers.advance(statuses.at(-1)[1].delayMs);
  }
  assert.deepEqual(delays, [249, 499, 999, 1998, 3996, 7992, 9990, 9990]);
  sockets.at(-1).open();
  await timers.advance(5000);
  sockets.at(-1).drop(1001);
  assert.equal(statuses.at(-1)[1].delayMs, 249);
});

test('publish resolves with the seq; an error frame rejects it with its code', async () => {
  const { sb, sockets, errors } = harness();
  await assert.rejects(sb.publish('t', 'x', {}), { code: 'not_connected' });
  sb.connect();
  await flush();
  sockets[0].open();
  const ok = sb.publish('t', 'note', { a: 1 });
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'publish', id: 1, topic: 't', type: 'note', data: { a: 1 } });
  const refused = sb.publish('t', 'note', {});
  sockets[0].receive({ op: 'ack', id: 1, topic: 't', seq: 5 });
  sockets[0].receive({ op: 'error', id: 2, code: 'forbidden', message: 'publish needs role service' });
  assert.equal(await ok, 5);
  await assert.rejects(refused, { code: 'forbidden' });
  const lost = sb.publish('t', 'note', {});
  sockets[0].drop(1006);
  await assert.rejects(lost, { code: 'connection_lost' });
  sockets[0].receive('garbage'); // detached: no effect, no throw
  assert.deepEqual(errors, []);
});

test('subscribe errors go to onError; malformed frames are reported, never thrown', async () => {
  const { sb, sockets, errors } = harness();
  sb.connect();
  await flush();
  sockets[0].open();
  sb.subscribe('alerts', () => {});
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'subscribe', id: 1, topics: ['alerts'] });
  sockets[0].receive({ op: 'error', id: 1, code: 'forbidden', message: 'needs ops' });
  sockets[0].receive('{"op":');
  sockets[0].receive({ op: 'batch', topic: 'alerts', events: 'x' });
  sockets[0].receive({ op: 'future-op' });
  assert.deepEqual(errors.map((e) => [e.code, e.op, e.topics]), [['forbidden', 'subscribe', ['alerts']], ['bad_frame', undefined, undefined]]);
});

test('unsubscribe sends once, forgets the topic, and a failing callback does not stop others', async () => {
  const { sb, sockets, errors } = harness();
  const seen = [];
  const off1 = sb.subscribe('conversation.*', () => { throw new Error('boom'); });
  const off2 = sb.subscribe('conversation.*', (e) => seen.push(e.seq));
  sb.connect();
  await flush();
  sockets[0].open();
  sockets[0].receive({ op: 'batch', topic: 'conversation.1', events: [{ seq: 1 }, { seq: 2 }] });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(errors.length, 2);
  off1();
  off1();
  assert.equal(sockets[0].sent.filter((f) => f.op === 'unsubscribe').length, 0);
  off2();
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'unsubscribe', id: 2, topics: ['conversation.*'] });
  sockets[0].receive({ op: 'batch', topic: 'conversation.1', events: [{ seq: 3 }] });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(sb.positions.get('conversation.1'), undefined);
});

test('keep-alive: a missing pong drops the connection and reconnects', async () => {
  const { sb, sockets, timers, statuses } = harness({ pingIntervalMs: 1000 });
  sb.connect();
  await flush();
  sockets[0].open();
  await timers.advance(1000);
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'ping', id: 1 });
  sockets[0].receive({ op: 'pong', id: 1 });
  await timers.advance(1000);
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'ping', id: 2 });
  await timers.advance(1000);
  assert.ok(statuses.some(([s, d]) => s === 'reconnecting' && d.reason === 'no pong'));
  await timers.advance(250);
  assert.equal(sockets.length, 2);
});

test('close() stops everything and rejects pending requests', async () => {
  const { sb, sockets, timers, statuses } = harness();
  sb.connect();
  await flush();
  sockets[0].open();
  const p = sb.publish('t', 'x', {});
  sb.close();
  await assert.rejects(p, { code: 'closed' });
  assert.equal(sockets[0].closedWith, 1000);
  assert.deepEqual(statuses.at(-1), ['closed', {}]);
  await timers.advance(60000);
  assert.equal(sockets.length, 1);
});

test('presence: subscribe sends presence:true (rejoined after a reconnect), changes reach onPresence, presence() resolves members', async () => {
  const changes = [];
  const { sb, sockets, timers, errors } = harness({ onPresence: (c) => changes.push(c) });
  assert.throws(() => sb.subscribe('conversation.*', () => {}, { presence: true }), { code: 'bad_request' });
  sb.subscribe('inbox', () => {});
  sb.subscribe('conversation.1', () => {}, { presence: true });
  await assert.rejects(sb.presence('conversation.1'), { code: 'not_connected' });
  sb.connect();
  await flush();
  sockets[0].open();
  assert.deepEqual(sockets[0].sent, [
    { op: 'subscribe', id: 1, topics: ['inbox'] },
    { op: 'subscribe', id: 2, topics: ['conversation.1'], presence: true },
  ]);
  sockets[0].receive({ op: 'ack', id: 2, topics: { 'conversation.1': { epoch: 'e', seq: 0 } } });
  const me = { sub: 'a', conn: 'c1', node: 'n1' };
  sockets[0].receive({ op: 'presence', topic: 'conversation.1', joined: [me], left: [] });
  sockets[0].receive({ op: 'presence', topic: 'conversation.9', joined: [me], left: [] }); // not ours: ignored
  assert.deepEqual(changes, [{ topic: 'conversation.1', joined: [me], left: [] }]);
  const members = sb.presence('conversation.1');
  assert.deepEqual(sockets[0].sent.at(-1), { op: 'presence', id: 3, topic: 'conversation.1' });
  sockets[0].receive({ op: 'presence', id: 3, topic: 'conversation.1', members: [{ sub: 'a', connections: 1 }] });
  assert.deepEqual(await members, [{ sub: 'a', connections: 1 }]);
  const refused = sb.presence('alerts');
  sockets[0].receive({ op: 'error', id: 4, code: 'forbidden', message: 'no' });
  await assert.rejects(refused, { code: 'forbidden' });
  sockets[0].drop(1012);
  await timers.advance(1000);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent.map((f) => [f.topics, f.presence]), [[['inbox'], undefined], [['conversation.1'], true]]);
  assert.deepEqual(errors, []);
});

test('presence on an already subscribed topic sends one more subscribe, with the flag', async () => {
  const { sb, sockets } = harness();
  sb.connect();
  await flush();
  sockets[0].open();
  const off = sb.subscribe('inbox', () => {});
  sb.subscribe('inbox', () => {}, { presence: true });
  sb.subscribe('inbox', () => {}, { presence: true });
  assert.deepEqual(sockets[0].sent.map((f) => f.presence ?? false), [false, true]);
  off();
  assert.equal(sockets[0].sent.length, 2, 'still subscribed by the other callbacks');
});
