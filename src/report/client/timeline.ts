/**
 * Memory over time from `heapy run`/`heapy monitor` recordings: one SVG chart per recording with
 * a line per series, GCs as ticks on the time axis, marks as dashed lines, a readout that follows
 * the pointer, and a legend table with each series' peak.
 */
import type { TimelineSection, TimelineSeries } from '../model.js';
import { byteTicks, formatBytes, formatCount, niceTicks } from '../../util/format.js';
import type { Page } from './context.js';
import { block, bytes, h, s, type Section } from './dom.js';
import { dataTable } from './table.js';

const LINE_COLORS = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#0c8599', '#c92a2a', '#5c940d', '#862e9c'] as const;

const colorAt = (i: number): string => LINE_COLORS[i % LINE_COLORS.length]!;

const W = 1000;
const H = 340;
const M = { l: 70, r: 18, t: 22, b: 34 } as const;

/** An axis label: round ticks need no decimal (`50 MiB`, not `50.0 MiB`). */
const axisBytes = (v: number): string => formatBytes(v).replace('.0 ', ' ');

/** The value of `series` at time `t`: the first sample at or after it (binary search over sorted times). */
function valueAt(series: TimelineSeries, t: number): number | undefined {
  let lo = 0;
  let hi = series.t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (series.t[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return series.v[lo];
}

/** Marks close together go on successive lines instead of over each other. */
function marks(tl: TimelineSection, X: (t: number) => number): SVGGElement[] {
  let lastX = -Infinity;
  let line = 0;
  return tl.marks.map((mk) => {
    const x = X(mk.t);
    line = x - lastX < 90 ? line + 1 : 0;
    lastX = x;
    return s('g', { class: 'mark' }, s('line', { x1: x, x2: x, y1: M.t, y2: H - M.b }), s('text', { x: x + 4, y: M.t + 10 + line * 14 }, mk.label));
  });
}

function chart(tl: TimelineSection): HTMLElement {
  const t1 = Math.max(tl.duration, 1e-3);
  let vmax = 0;
  for (const sr of tl.series) for (const v of sr.v) if (v > vmax) vmax = v;
  const yt = byteTicks(vmax || 1);
  const ymax = yt[yt.length - 1] || 1;
  const xt = niceTicks(0, t1, 8, true);
  const X = (t: number): number => M.l + (t / t1) * (W - M.l - M.r);
  const Y = (v: number): number => H - M.b - (v / ymax) * (H - M.t - M.b);
  const svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Memory over time: ' + tl.series.map((sr) => sr.label + ' peaks at ' + formatBytes(sr.peak)).join('; ') });
  const grid = s('g', { class: 'grid axis' });
  for (const v of yt) grid.append(s('line', { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v) }), s('text', { x: M.l - 8, y: Y(v) + 4, 'text-anchor': 'end' }, axisBytes(v)));
  for (const t of xt) if (t <= t1) grid.append(s('text', { x: X(t), y: H - M.b + 18, 'text-anchor': 'middle' }, (t >= 100 ? t.toFixed(0) : String(Math.round(t * 100) / 100)) + ' s'));
  svg.append(grid);
  const gcs = s('g', null);
  for (const g of tl.gcs) gcs.append(s('line', { class: 'gc', x1: X(g.t), x2: X(g.t), y1: H - M.b, y2: H - M.b + (g.kind === 'major' ? 8 : 4) }));
  svg.append(gcs);
  tl.series.forEach((sr, i) => {
    let d = '';
    for (let k = 0; k < sr.t.length; k++) d += (k === 0 ? 'M' : 'L') + X(sr.t[k]!).toFixed(1) + ' ' + Y(sr.v[k]!).toFixed(1);
    svg.append(s('path', { d, fill: 'none', stroke: colorAt(i), 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
    svg.append(s('circle', { cx: X(sr.peakT), cy: Y(sr.peak), r: 3.5, fill: colorAt(i) }, s('title', null, sr.label + ' peak ' + formatBytes(sr.peak) + ' at ' + sr.peakT + ' s')));
  });
  svg.append(...marks(tl, X));
  const cursor = s('line', { class: 'cursor', y1: M.t, y2: H - M.b, x1: -10, x2: -10 });
  svg.append(cursor);
  const readout = h('div', { class: 'chart-readout', 'aria-live': 'off' }, 'Move over the chart to read values.');
  svg.addEventListener('mousemove', (ev) => {
    const box = svg.getBoundingClientRect();
    const x = ((ev.clientX - box.left) / box.width) * W;
    const t = Math.max(0, Math.min(t1, ((x - M.l) / (W - M.l - M.r)) * t1));
    cursor.setAttribute('x1', String(X(t)));
    cursor.setAttribute('x2', String(X(t)));
    const parts = ['t = ' + t.toFixed(2) + ' s'];
    for (const sr of tl.series) {
      const v = valueAt(sr, t);
      if (v !== undefined) parts.push(sr.label + ' ' + formatBytes(v));
    }
    readout.textContent = parts.join(' · ');
  });
  const legend = dataTable({
    label: 'Series of ' + tl.source,
    rows: tl.series.map((sr, i) => ({ ...sr, color: colorAt(i) })),
    columns: [
      { key: 'label', label: 'Series', render: (sr) => [h('span', { class: 'swatch', style: { background: sr.color }, 'aria-hidden': 'true' }), sr.label] },
      { key: 'peak', label: 'Peak', num: true, sort: (sr) => sr.peak, render: (sr) => bytes(sr.peak) },
      { key: 'peakT', label: 'At', num: true, sort: (sr) => sr.peakT, render: (sr) => sr.peakT + ' s' },
      { key: 'last', label: 'Last', num: true, render: (sr) => (sr.v.length ? bytes(sr.v[sr.v.length - 1]!) : '') },
    ],
  });
  return h(
    'div',
    { class: 'card', style: { marginBottom: '16px' } },
    h('div', { class: 'toolbar' }, h('strong', null, tl.command || tl.source), h('span', { class: 'muted' }, tl.duration.toFixed(1) + ' s · ' + formatCount(tl.gcCount) + ' GCs, ' + tl.gcMs.toFixed(0) + ' ms paused')),
    svg,
    readout,
    legend.el,
  );
}

/** The timeline section, or null when the report has no recording. */
export function timelineBlock(page: Page): Section | null {
  const tls = page.data.timelines ?? [];
  if (tls.length === 0) return null;
  return block('timeline', 'Memory over time', 'From the monitor recording: resident set size and V8 heap, GCs as ticks along the time axis, marks as dashed lines.', tls.map(chart));
}
