// The ops console page: log in with an ops token, then keep every panel live. Live data comes
// from the hub over /ws with the project's own client (`system.health`: health changes and
// breaker transitions; `alerts`: firing and resolved), the figures and the last health report
// from GET /api/ops/summary once a second, dead letters from the admin routes. Panels render in panels.js.
import { Switchboard, decodeTokenClaims } from '/client/switchboard.js';
import { AlertBook } from './alerts.js';
import { ApiError, ConsoleApi } from './api.js';
import { RateChart } from './chart.js';
import { renderAlerts, renderBreaker, renderDeadLetters, renderFigures, renderHealth } from './panels.js';
import { RateSeries } from './series.js';
import { checkOpsClaims, forgetToken, loadToken, refusalMessage, saveToken } from './session.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
const DEAD_LETTER_REFRESH_MS = 5000;
const FRESH_ALERT_MS = 4000;

let current = null;

/** One logged-in session: its socket, timers and what the panels show. */
class ConsoleSession {
  constructor(token, claims, expiresAtMs, api) {
    this.token = token;
    this.claims = claims;
    this.expiresAtMs = expiresAtMs;
    this.api = api;
    this.book = new AlertBook();
    this.fresh = new Set();
    this.health = null;
    this.breaker = { state: 'closed', openUntilMs: null };
    this.configured = false;
    this.series = { webhooks: new RateSeries(), processed: new RateSeries(), sends: new RateSeries(), delivered: new RateSeries() };
    this.charts = {
      webhooks: new RateChart($('chart-webhooks'), 'Webhooks per second'),
      sends: new RateChart($('chart-sends'), 'Sends per second'),
      delivered: new RateChart($('chart-delivered'), 'Delivered events per second'),
    };
    this.deadLetterCount = null;
    this.deadLettersAt = 0;
    this.timer = null;
    this.stopped = false;
    this.client = null;
  }

  start() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('session').hidden = false;
    const until = this.expiresAtMs ? `, until ${new Date(this.expiresAtMs).toLocaleTimeString('en-GB', { hour12: false })}` : '';
    $('who').textContent = `${this.claims.sub ?? 'ops'} (ops${until})`;
    this.client = new Switchboard({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
      token: this.token,
      onStatus: (status) => this.onSocketStatus(status),
      onError: (e) => this.setConnection(`hub error: ${e.code}`, 'bad'),
      onGap: () => this.refreshAlerts(),
    });
    this.client.subscribe('alerts', (e) => this.onAlert(e));
    // Breaker transitions show at once; between them the summary's poll keeps the state current.
    this.client.subscribe('system.health', (e) => this.onHealthEvent(e), { history: true });
    this.client.connect();
    renderAlerts(this.book, this.fresh);
    this.tick();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.client?.close();
    $('dashboard').hidden = true;
    $('session').hidden = true;
    $('critical-banner').hidden = true;
    for (const id of ['chart-webhooks', 'chart-sends', 'chart-delivered']) $(id).querySelector('svg')?.remove();
    document.title = 'Switchboard ops console';
  }

  setConnection(text, tone) {
    const pill = $('connection');
    pill.textContent = text;
    pill.className = `pill ${tone}`;
  }

  onSocketStatus(status) {
    if (this.stopped) return;
    if (status === 'subscribed') {
      this.setConnection('live', 'ok');
      this.refreshAlerts();
    } else if (status === 'unauthorized') {
      logout('The hub refused the token (expired or revoked): log in again.');
    } else if (status === 'forbidden') {
      logout('The hub refused this token for alerts and system.health: it needs role ops and topics that include them.');
    } else if (status === 'reconnecting' || status === 'connecting') {
      this.setConnection(status, 'warn');
    }
  }

  onAlert(event) {
    const { changed, newCritical } = this.book.apply(event);
    if (!changed) return;
    if (event.type === 'alert.firing') this.markFresh(event.data.key);
    if (newCritical) this.cueCritical(newCritical);
    this.renderAlerts();
  }

  markFresh(key) {
    this.fresh.add(key);
    setTimeout(() => { this.fresh.delete(key); }, FRESH_ALERT_MS);
  }

  /** The sound-free cue: a banner, a flashing row and a marked tab title. */
  cueCritical(alert) {
    const banner = $('critical-banner');
    banner.textContent = `Critical alert: ${alert.key} — ${alert.summary ?? ''}`;
    banner.hidden = false;
  }

  renderAlerts() {
    renderAlerts(this.book, this.fresh);
    const critical = this.book.firingList().filter((a) => a.severity === 'critical');
    if (critical.length === 0) $('critical-banner').hidden = true;
    document.title = `${critical.length ? '(!) ' : ''}Switchboard ops console`;
  }

  async refreshAlerts() {
    try {
      const { alerts } = await this.api.alerts();
      for (const a of this.book.reconcile(alerts, Date.now())) {
        this.markFresh(a.key);
        if (a.severity === 'critical') this.cueCritical(a);
      }
      this.renderAlerts();
    } catch (e) {
      this.failed(e);
    }
  }

  onHealthEvent(event) {
    if (event.type === 'breaker.state_changed') {
      this.breaker = { state: event.data.to, openUntilMs: event.data.open_until ?? null };
      this.renderBreaker();
    } else if (event.type === 'health.changed' && this.health) {
      // History may hold changes older than the report the page already has.
      if (event.ts < Date.parse(this.health.timestamp)) return;
      this.health = { ...this.health, status: event.data.status, services: event.data.services ?? this.health.services };
      renderHealth(this.health);
    }
  }

  renderBreaker() {
    renderBreaker(this.breaker.state, this.breaker.openUntilMs, Date.now(), this.configured);
  }

  async tick() {
    if (this.stopped) return;
    if (this.expiresAtMs !== null && Date.now() >= this.expiresAtMs) {
      logout('Your ops token expired: log in again with a new one.');
      return;
    }
    const started = Date.now();
    try {
      const summary = await this.api.summary();
      if (this.stopped) return;
      if (summary.health) {
        this.health = summary.health;
        renderHealth(summary.health);
      }
      this.applySummary(summary);
      if (summary.inbound.dead_letters !== this.deadLetterCount || started - this.deadLettersAt >= DEAD_LETTER_REFRESH_MS) {
        this.deadLetterCount = summary.inbound.dead_letters;
        await this.refreshDeadLetters();
      }
    } catch (e) {
      this.failed(e);
    }
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), Math.max(0, POLL_MS - (Date.now() - started)));
  }

  applySummary(s) {
    const t = s.now_ms;
    const rates = {
      webhooks: this.series.webhooks.sample(t, s.inbound.webhooks_received),
      processed: this.series.processed.sample(t, s.inbound.processed.done + s.inbound.processed.dead),
      sends: this.series.sends.sample(t, s.outbound.sends.sent),
      delivered: this.series.delivered.sample(t, s.hub.events_delivered),
    };
    renderFigures(s, rates);
    for (const name of ['webhooks', 'sends', 'delivered']) this.charts[name].draw(this.series[name], t);
    this.configured = s.outbound.configured;
    // The summary carries the breaker's state and, while open, when its probe is due: the
    // countdown survives a reload without any breaker.state_changed in history.
    this.breaker = { state: s.outbound.breaker, openUntilMs: s.outbound.breaker_open_until ?? null };
    this.renderBreaker();
  }

  async refreshDeadLetters() {
    this.deadLettersAt = Date.now();
    const { items } = await this.api.deadLetters();
    if (!this.stopped) renderDeadLetters(items, (id, button) => this.replay(id, button));
  }

  async replay(id, button) {
    button.disabled = true;
    button.textContent = 'Replaying…';
    const outcome = $('dead-outcome');
    try {
      await this.api.replay(id);
      outcome.textContent = `Dead letter ${id}: replay started; it leaves this list and is processed again.`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return this.failed(e);
      outcome.textContent = `Dead letter ${id}: replay refused (${e.status || ''} ${e.message}).`;
      button.disabled = false;
      button.textContent = 'Replay';
    }
    try { await this.refreshDeadLetters(); } catch (e) { this.failed(e); }
  }

  failed(e) {
    if (this.stopped) return;
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      logout(refusalMessage(e.status, e.message));
      return;
    }
    this.setConnection(`REST: ${e.message}`, 'bad');
  }
}

function showLogin(message) {
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
  $('token').value = '';
  $('token').focus();
}

function logout(message) {
  current?.stop();
  current = null;
  forgetToken(sessionStorage);
  showLogin(message);
}

async function login(token) {
  const claims = decodeTokenClaims(token);
  const check = checkOpsClaims(claims, Date.now());
  if (!check.ok) return showLogin(check.message);
  const api = new ConsoleApi(token);
  try {
    await api.summary();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return showLogin(refusalMessage(e.status, e.message));
    return showLogin(`The server did not answer: ${e.message}`);
  }
  saveToken(sessionStorage, token);
  $('login-error').textContent = '';
  current = new ConsoleSession(token, claims, check.expiresAtMs, api);
  current.start();
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  $('token').value = '';
  login(token);
});
$('logout').addEventListener('click', () => logout('Logged out.'));

const stored = loadToken(sessionStorage);
if (stored) login(stored);
else showLogin('');
