// Numbers and times as the panels show them. Pure.

/** "850 ms", "12 s", "3 min 5 s", "2 h 4 min"; "–" for null/undefined. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  const s = Math.floor(v / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** A rate per second with a precision that suits its size: 0, 0.4, 12.5, 1,234. */
export function formatRate(perSecond) {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '–';
  if (perSecond === 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(1);
  return Math.round(perSecond).toLocaleString('en-US');
}

export function formatCount(n) {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}

/** "14:03:07" local time of an RFC 3339 string or epoch ms; the input itself when unparseable. */
export function formatClock(when) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return String(when ?? '–');
  return d.toLocaleTimeString('en-GB', { hour12: false });
}

/** "key=value, key=value" of a details object, objects as JSON; for the health services. */
export function formatDetails(details) {
  if (details === null || typeof details !== 'object') return '';
  return Object.entries(details)
    .map(([k, v]) => `${k}=${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(', ');
}

/** What the breaker line says: "open, probe in 12 s" while open with a known `openUntilMs`. */
export function breakerText(state, openUntilMs, nowMs) {
  if (state === 'open' && Number.isFinite(openUntilMs)) {
    const left = openUntilMs - nowMs;
    return left > 0 ? `probe in ${formatDuration(Math.ceil(left / 1000) * 1000)}` : 'probe due';
  }
  if (state === 'half_open') return 'probing';
  return '';
}

/**
 * The nodes a health report names: this node is the report's `node`; a clustered server lists
 * every node it hears, itself included, in the hub's `nodes` detail as one comma-joined string
 * (health details hold scalars only). `{ self, names }`; names is empty when neither is there.
 */
export function nodeNames(report) {
  const selfRaw = report?.node;
  const self = typeof selfRaw === 'string' && selfRaw !== '' ? selfRaw : null;
  const listed = report?.services?.hub?.details?.nodes;
  const names = typeof listed === 'string' ? listed.split(',').filter((n) => n !== '') : [];
  if (names.length === 0 && self !== null) names.push(self);
  return { self, names };
}
