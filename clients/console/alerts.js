// The alerts the page knows: those firing now (from GET /api/alerts and `alert.firing`) and those
// that fired and resolved while the page was open (`alert.resolved`). Pure; the panel renders it.

export class AlertBook {
  constructor() {
    /** @type {Map<string, object>} key → alert, firing now */
    this.firing = new Map();
    /** @type {object[]} resolved alerts, newest first */
    this.resolved = [];
    this.maxResolved = 50;
  }

  /**
   * Applies one event of the `alerts` topic. Returns `{ changed, newCritical }`: newCritical is the
   * alert when a critical one starts firing (the page's visual cue), else null.
   */
  apply(event) {
    const alert = event?.data;
    if (alert === null || typeof alert !== 'object' || typeof alert.key !== 'string') return { changed: false, newCritical: null };
    if (event.type === 'alert.firing') {
      const known = this.firing.has(alert.key);
      this.firing.set(alert.key, alert);
      return { changed: true, newCritical: !known && alert.severity === 'critical' ? alert : null };
    }
    if (event.type === 'alert.resolved') {
      this.firing.delete(alert.key);
      this._addResolved(alert);
      return { changed: true, newCritical: null };
    }
    return { changed: false, newCritical: null };
  }

  /**
   * Takes the server's list of firing alerts (after a (re)connect): keys the page thought firing
   * and the server does not list resolved while the page could not see it. Returns the alerts
   * new to the page, so a critical one still gets its cue.
   */
  reconcile(listed, nowMs) {
    const keys = new Set(listed.map((a) => a.key));
    for (const [key, alert] of this.firing) {
      if (!keys.has(key)) {
        this.firing.delete(key);
        this._addResolved({ ...alert, resolved_at: new Date(nowMs).toISOString() });
      }
    }
    const added = [];
    for (const a of listed) {
      if (!this.firing.has(a.key)) added.push(a);
      this.firing.set(a.key, a);
    }
    return added;
  }

  /** Firing alerts, critical first, then oldest first. */
  firingList() {
    const rank = (a) => (a.severity === 'critical' ? 0 : 1);
    return [...this.firing.values()].sort((a, b) => rank(a) - rank(b) || String(a.firing_since).localeCompare(String(b.firing_since)));
  }

  _addResolved(alert) {
    this.resolved.unshift(alert);
    if (this.resolved.length > this.maxResolved) this.resolved.length = this.maxResolved;
  }
}
