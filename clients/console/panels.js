// Renders the panels from plain data. Everything from the server goes in as textContent, never
// as HTML: alert summaries and dead-letter errors carry text from outside.
import { breakerText, formatClock, formatCount, formatDetails, formatDuration, formatRate, nodeNames } from './format.js';

const $ = (id) => document.getElementById(id);

function el(tag, { cls, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs ?? {})) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function setStatus(node, status) {
  node.textContent = status ?? '–';
  node.className = `status ${status ?? ''}`;
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

/** The /health report (or the services of a `health.changed` event merged into it). */
export function renderHealth(report) {
  setStatus($('health-overall'), report.status);
  const meta = [];
  if (report.version) meta.push(`version ${report.version}`);
  if (Number.isFinite(report.uptime_s)) meta.push(`up ${formatDuration(report.uptime_s * 1000)}`);
  if (report.timestamp) meta.push(`checked ${formatClock(report.timestamp)}`);
  setText('health-meta', meta.join(' · '));
  const items = Object.entries(report.services ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => {
    const badge = el('span', { cls: `status ${s.status}`, text: s.status });
    return el('li', { attrs: { 'data-service': name } }, [
      el('span', { cls: 'name', text: name }), badge, el('span', { cls: 'details', text: formatDetails(s.details) }),
    ]);
  });
  $('health-services').replaceChildren(...items);
  renderNodes(report);
}

function renderNodes(report) {
  const { self, names } = nodeNames(report);
  $('nodes').hidden = names.length === 0;
  $('node-list').replaceChildren(...names.map((name) => el('li', {
    text: name === self ? `${name} (this node)` : name, attrs: { 'data-node': name },
  })));
}

function alertItem(a, { resolved, isNew }) {
  const when = resolved
    ? `fired ${formatClock(a.firing_since)}, resolved ${formatClock(a.resolved_at)}`
    : `since ${formatClock(a.firing_since)}`;
  const cls = [a.severity === 'critical' ? 'critical' : 'warning', isNew ? 'new' : ''].join(' ').trim();
  return el('li', { cls, attrs: { 'data-alert-key': a.key, 'data-severity': a.severity ?? '' } }, [
    el('span', { cls: `status ${a.severity === 'critical' ? 'error' : 'degraded'}`, text: a.severity ?? '?' }), ' ',
    el('span', { cls: 'key', text: a.key }), ' ',
    el('span', { cls: 'summary', text: a.summary ?? '' }),
    el('span', { cls: 'when', text: when }),
  ]);
}

/** `fresh` holds keys that just started firing (they flash). */
export function renderAlerts(book, fresh) {
  const firing = book.firingList();
  $('alerts-firing').replaceChildren(...firing.map((a) => alertItem(a, { resolved: false, isNew: fresh.has(a.key) })));
  $('alerts-resolved').replaceChildren(...book.resolved.map((a) => alertItem(a, { resolved: true, isNew: false })));
  $('alerts-none').hidden = firing.length > 0;
  $('resolved-none').hidden = book.resolved.length > 0;
  const count = $('alerts-count');
  count.textContent = String(firing.length);
  count.className = `count ${firing.some((a) => a.severity === 'critical') ? 'status error' : firing.length ? 'status degraded' : ''}`;
}

/** `rates` holds the latest per-second rates from the page's series. */
export function renderFigures(s, rates) {
  const i = s.inbound;
  setText('inbox-depth', formatCount(i.pending + i.processing));
  setText('inbox-oldest', formatDuration(i.oldest_pending_age_ms));
  setText('inbox-rate', formatRate(rates.processed));
  setText('webhook-rate', formatRate(rates.webhooks));
  setText('signature-failures', formatCount(i.signature_failures));
  setText('dead-count', formatCount(i.dead_letters));
  const o = s.outbound;
  setText('outbox-queued', formatCount((o.depth.queued ?? 0) + (o.depth.sending ?? 0)));
  setText('outbox-retrying', formatCount(o.depth.retrying ?? 0));
  setText('outbox-failed', formatCount(o.depth.failed ?? 0));
  setText('send-rate', o.configured ? formatRate(rates.sends) : 'off');
  const h = s.hub;
  setText('hub-connections', formatCount(h.connections));
  setText('hub-subscriptions', formatCount(h.subscriptions));
  setText('hub-topics', formatCount(h.topics));
  setText('hub-rate', formatRate(rates.delivered));
  setText('hub-slow', formatCount(h.slow_consumer_closes));
}

export function renderBreaker(state, openUntilMs, nowMs, configured) {
  setStatus($('breaker-state'), configured ? state : 'not configured');
  setText('breaker-until', configured ? breakerText(state, openUntilMs, nowMs) : '');
}

/** The dead-letter table; `onReplay(id, button)` is called by each row's Replay button. */
export function renderDeadLetters(items, onReplay) {
  const rows = items.map((d) => {
    const button = el('button', { text: 'Replay', attrs: { type: 'button', 'aria-label': `Replay dead letter ${d.id}` } });
    button.addEventListener('click', () => onReplay(d.id, button));
    return el('tr', { attrs: { 'data-id': String(d.id) } }, [
      el('td', { text: String(d.id) }),
      el('td', { text: new Date(d.failed_at_ms).toISOString().replace('T', ' ').slice(0, 19) }),
      el('td', { cls: 'error-text', text: d.error ?? '' }),
      el('td', { text: String(d.attempts) }),
      el('td', {}, [button]),
    ]);
  });
  document.querySelector('#dead-letters tbody').replaceChildren(...rows);
  $('dead-letters').hidden = rows.length === 0;
  $('dead-none').hidden = rows.length > 0;
}
