// Node unit tests of the console's pure modules (node --test clients/console/test); the browser
// tests in Tests/browser/test_console.py run them too.
import assert from 'node:assert/strict';
import test from 'node:test';

import { AlertBook } from '../alerts.js';
import { niceCeiling } from '../chart.js';
import { breakerText, formatDetails, formatDuration, formatRate, nodeNames } from '../format.js';
import { polylinePoints, RateSeries } from '../series.js';
import { checkOpsClaims, forgetToken, loadToken, refusalMessage, saveToken, STORAGE_KEY } from '../session.js';

const NOW = 1_800_000_000_000;

test('an ops token with time left is accepted; its expiry is kept', () => {
  assert.deepEqual(checkOpsClaims({ sub: 'me', role: 'ops', exp: NOW / 1000 + 60 }, NOW), { ok: true, expiresAtMs: NOW + 60_000 });
});

test('a token without exp never expires here (the server decides)', () => {
  assert.deepEqual(checkOpsClaims({ role: 'ops' }, NOW), { ok: true, expiresAtMs: null });
});

test('not a token, another role and an expired token get their own reasons', () => {
  assert.equal(checkOpsClaims(null, NOW).reason, 'not_a_token');
  const agent = checkOpsClaims({ role: 'agent', exp: NOW / 1000 + 60 }, NOW);
  assert.equal(agent.reason, 'not_ops');
  assert.match(agent.message, /role "agent"/);
  assert.equal(checkOpsClaims({ exp: NOW / 1000 + 60 }, NOW).reason, 'not_ops');
  const expired = checkOpsClaims({ role: 'ops', exp: NOW / 1000 }, NOW);
  assert.equal(expired.reason, 'expired');
  assert.match(expired.message, /expired at/);
});

test('server refusals are told apart', () => {
  assert.match(refusalMessage(401, 'token rejected: bad_signature'), /rejected this token \(token rejected: bad_signature\)/);
  assert.match(refusalMessage(401, 'token rejected: expired'), /expired/);
  assert.match(refusalMessage(403, 'role agent may not do this'), /refused/);
});

test('the token lives in the given storage under one key', () => {
  const map = new Map();
  const storage = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, v), removeItem: (k) => map.delete(k) };
  assert.equal(loadToken(storage), null);
  saveToken(storage, 'a.b.c');
  assert.equal(map.get(STORAGE_KEY), 'a.b.c');
  assert.equal(loadToken(storage), 'a.b.c');
  forgetToken(storage);
  assert.equal(loadToken(storage), null);
  assert.equal(loadToken({ getItem: () => { throw new Error('denied'); } }), null);
});

test('durations, rates and details read well', () => {
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(12_400), '12 s');
  assert.equal(formatDuration(185_000), '3 min 5 s');
  assert.equal(formatDuration(7_440_000), '2 h 4 min');
  assert.equal(formatRate(0), '0');
  assert.equal(formatRate(0.44), '0.4');
  assert.equal(formatRate(1234.4), '1,234');
  assert.equal(formatRate(null), '–');
  assert.equal(formatDetails({ a: 1, b: null, c: { d: 2 } }), 'a=1, b=null, c={"d":2}');
});

test('the breaker line counts down to its probe', () => {
  assert.equal(breakerText('open', NOW + 11_200, NOW), 'probe in 12 s');
  assert.equal(breakerText('open', NOW - 1, NOW), 'probe due');
  assert.equal(breakerText('open', null, NOW), '');
  assert.equal(breakerText('half_open', null, NOW), 'probing');
  assert.equal(breakerText('closed', NOW + 5000, NOW), '');
});

test('rates come from consecutive totals and the window forgets old points', () => {
  const s = new RateSeries(10_000);
  assert.equal(s.sample(0, 100), null);
  assert.equal(s.sample(1000, 150), 50);
  assert.equal(s.sample(3000, 150), 0);
  assert.equal(s.latest, 0);
  assert.equal(s.max, 50);
  s.sample(12_000, 240);
  assert.deepEqual(s.points.map((p) => p.t), [3000, 12_000]);
  assert.equal(s.sample(13_000, 5), null, 'a total that went down (restart) restarts the series');
  assert.deepEqual(s.points, []);
  assert.equal(s.sample(13_000, 10), null, 'no time passed: no rate');
});

test('the polyline spans the window and clips at the top', () => {
  const pts = polylinePoints([{ t: 500, v: 5 }, { t: 1000, v: 20 }], { endMs: 1000, windowMs: 1000, width: 100, height: 10, top: 10 });
  assert.equal(pts, '50.0,5.0 100.0,0.0');
  assert.equal(niceCeiling(0), 1);
  assert.equal(niceCeiling(3), 5);
  assert.equal(niceCeiling(7), 10);
  assert.equal(niceCeiling(1999), 2000);
});

const firing = (key, severity, since = '2026-01-01T00:00:00Z') => ({ type: 'alert.firing', data: { key, severity, summary: key, firing_since: since } });

test('a new critical alert is flagged once; warnings never', () => {
  const book = new AlertBook();
  assert.equal(book.apply(firing('w', 'warning')).newCritical, null);
  assert.equal(book.apply(firing('c', 'critical')).newCritical.key, 'c');
  assert.equal(book.apply(firing('c', 'critical')).newCritical, null, 'the same alert again is no new cue');
  assert.deepEqual(book.firingList().map((a) => a.key), ['c', 'w'], 'critical first');
});

test('resolved alerts leave the firing set for the resolved list, newest first', () => {
  const book = new AlertBook();
  book.apply(firing('a', 'warning'));
  book.apply(firing('b', 'critical'));
  book.apply({ type: 'alert.resolved', data: { key: 'a', severity: 'warning', resolved_at: 'x' } });
  book.apply({ type: 'alert.resolved', data: { key: 'b', severity: 'critical', resolved_at: 'y' } });
  assert.deepEqual(book.firingList(), []);
  assert.deepEqual(book.resolved.map((a) => a.key), ['b', 'a']);
  assert.equal(book.apply({ type: 'other', data: {} }).changed, false);
  assert.equal(book.apply({ type: 'alert.firing', data: null }).changed, false);
});

test('reconcile resolves what the server no longer lists and reports what is new', () => {
  const book = new AlertBook();
  book.apply(firing('gone', 'warning'));
  book.apply(firing('kept', 'warning'));
  const added = book.reconcile([{ key: 'kept', severity: 'warning' }, { key: 'new', severity: 'critical' }], NOW);
  assert.deepEqual(added.map((a) => a.key), ['new']);
  assert.deepEqual([...book.firing.keys()].sort(), ['kept', 'new']);
  assert.equal(book.resolved[0].key, 'gone');
  assert.equal(book.resolved[0].resolved_at, new Date(NOW).toISOString());
});

test('nodes are named from the health report when clustered, and not otherwise', () => {
  assert.deepEqual(nodeNames({ status: 'ok', services: { hub: { details: { connections: 1 } } } }), { self: null, names: [] });
  // what a clustered server emits: top-level `node`, the hub's `nodes` (comma-joined) and `nodes_seen` (a count)
  assert.deepEqual(nodeNames({ node: 'node-2', services: { hub: { details: { nodes: 'node-2,node-1,node-3', nodes_seen: 2 } } } }),
    { self: 'node-2', names: ['node-2', 'node-1', 'node-3'] });
  assert.deepEqual(nodeNames({ node: 'a', services: { hub: { details: { nodes: 'a' } } } }), { self: 'a', names: ['a'] });
  assert.deepEqual(nodeNames({ node: 'solo' }), { self: 'solo', names: ['solo'] });
  assert.deepEqual(nodeNames(null), { self: null, names: [] });
});
