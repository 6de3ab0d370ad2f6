/**
 * Text for the live terminal view: one status line with the current and peak memory and a sparkline.
 * Pure functions; the CLI decides where and when to draw them.
 */
import type { LiveState } from './recorder.js';

const BARS = '▁▂▃▄▅▆▇█';

/** Formats bytes as MiB with one decimal (the unit of every monitor view). */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * A sparkline of `values` in `width` cells: each cell is the maximum of the values it covers
 * (so a short spike stays visible), scaled between the minimum and maximum of the whole range.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (values.length === 0 || width <= 0) return '';
  const cells = Math.min(width, values.length);
  const per = values.length / cells;
  const maxes: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < cells; c++) {
    const from = Math.floor(c * per);
    const to = Math.max(from + 1, Math.floor((c + 1) * per));
    let m = -Infinity;
    for (let i = from; i < to && i < values.length; i++) {
      const v = values[i] as number;
      if (v > m) m = v;
      if (v < lo) lo = v;
    }
    if (m > hi) hi = m;
    maxes.push(m);
  }
  const span = hi - lo;
  let out = '';
  for (const m of maxes) {
    const level = span > 0 ? Math.round(((m - lo) / span) * (BARS.length - 1)) : 0;
    out += BARS[level];
  }
  return out;
}

/** The status line for `state`, at most `columns` characters wide. */
export function renderLiveLine(state: LiveState, columns: number): string {
  const parts = [`${state.t.toFixed(1)}s`, `rss ${mib(state.rss)}`];
  if (state.processes > 1) parts.push(`(${state.processes} procs)`);
  if (state.heapUsed !== undefined) parts.push(`heap ${mib(state.heapUsed)}`);
  parts.push(`peak ${mib(state.peakRss)} @${state.peakT.toFixed(1)}s`);
  const text = `heapy ${parts.join('  ')}  `;
  const room = columns - text.length - 1;
  if (room < 8) return text.slice(0, Math.max(0, columns - 1));
  return text + sparkline(state.history, Math.min(room, 60));
}
