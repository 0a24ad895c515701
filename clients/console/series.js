// Per-second rates from running totals sampled by the page, kept for a window (15 minutes):
// the charts' data. Pure: the caller passes the sample times.

export const WINDOW_MS = 15 * 60 * 1000;

export class RateSeries {
  constructor(windowMs = WINDOW_MS) {
    this.windowMs = windowMs;
    /** @type {{t: number, v: number}[]} rate points, oldest first */
    this.points = [];
    this.last = null;
  }

  /**
   * Adds a sample of a running total at `tMs`; returns the rate since the previous sample, or
   * null for the first one. A total that went down (a restarted server) restarts the series.
   */
  sample(tMs, total) {
    if (!Number.isFinite(total) || !Number.isFinite(tMs)) return null;
    const prev = this.last;
    this.last = { t: tMs, total };
    if (prev === null || tMs <= prev.t) return null;
    if (total < prev.total) {
      this.points = [];
      return null;
    }
    const rate = ((total - prev.total) * 1000) / (tMs - prev.t);
    this.points.push({ t: tMs, v: rate });
    const cutoff = tMs - this.windowMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].t < cutoff) drop += 1;
    if (drop > 0) this.points.splice(0, drop);
    return rate;
  }

  get latest() {
    return this.points.length > 0 ? this.points[this.points.length - 1].v : null;
  }

  get max() {
    let m = 0;
    for (const p of this.points) if (p.v > m) m = p.v;
    return m;
  }
}

/**
 * The SVG polyline `points` attribute for `points` in a box of `width` x `height` covering the
 * window that ends at `endMs`; values scale to `top` (at least 1).
 */
export function polylinePoints(points, { endMs, windowMs = WINDOW_MS, width, height, top }) {
  const ceiling = Math.max(1, top);
  const start = endMs - windowMs;
  return points
    .map((p) => {
      const x = ((p.t - start) / windowMs) * width;
      const y = height - (Math.min(p.v, ceiling) / ceiling) * height;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}
