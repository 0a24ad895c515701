// A small SVG line chart of a RateSeries over the last 15 minutes, drawn without libraries.
import { polylinePoints, WINDOW_MS } from './series.js';
import { formatRate } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 70;

export class RateChart {
  /** `figure` holds a figcaption with a `.now` span; the SVG is appended to it. */
  constructor(figure, label) {
    this.now = figure.querySelector('.now');
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.svg.setAttribute('role', 'img');
    this.svg.setAttribute('aria-label', `${label}, last 15 minutes`);
    this.line = document.createElementNS(SVG, 'polyline');
    this.top = document.createElementNS(SVG, 'text');
    this.top.setAttribute('x', '3');
    this.top.setAttribute('y', '10');
    this.svg.append(this.line, this.top);
    figure.append(this.svg);
  }

  draw(series, endMs) {
    const top = niceCeiling(series.max);
    this.line.setAttribute('points', polylinePoints(series.points, { endMs, windowMs: WINDOW_MS, width: WIDTH, height: HEIGHT, top }));
    this.top.textContent = `max ${formatRate(top)}/s`;
    this.now.textContent = `${formatRate(series.latest)}/s`;
  }
}

/** 1, 2, 5, 10, 20, 50, ... at or above `v`: the chart's top, stable while values wiggle. */
export function niceCeiling(v) {
  let step = 1;
  while (step < v) {
    for (const m of [2, 2.5, 2]) {
      step *= m;
      if (step >= v) break;
    }
  }
  return step;
}
