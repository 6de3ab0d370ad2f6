/**
 * mprof-like memory charts as SVG (hand-written, no chart library) and as a self-contained HTML page.
 * Time in seconds on x, MiB on y, one line per series, the peak marked, GC events as ticks along the
 * time axis, user marks as labelled vertical lines, and optional least-squares trend lines.
 */
import { basename } from 'node:path';
import { niceTicks } from '../util/format.js';
import { peakOf, seriesLabel, trendOf, trendVerdict, type Metric, type Series, type Timeline, type Trend } from './series.js';

/** Options of {@link renderSvg}. */
export interface PlotOptions {
  /** Pixel size of the whole SVG (default 1200 x 600). */
  width?: number;
  height?: number;
  /** Draw a least-squares line per series and show its slope. */
  trend?: boolean;
  /** Title (default: the command of the first file). */
  title?: string;
  /** Time window actually shown, seconds (default: the data's extent). */
  window?: [number, number];
}

/** One legend row: what the HTML table and the SVG legend both show. */
export interface LegendRow {
  key: string;
  label: string;
  color: string;
  dash: string;
  peak: number | undefined;
  peakT: number | undefined;
  last: number | undefined;
  trend: Trend | undefined;
}

/** Ten colours that stay apart for common colour-vision deficiencies (Tableau 10 hues). */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

const DASH: Record<Metric, string> = {
  rss: '',
  heapUsed: '7 3',
  heapTotal: '2 3',
  external: '9 3 2 3',
  arrayBuffers: '1 2',
  rssTotal: '',
};

const MIB = 1048576;

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function fmt(n: number, digits: number): string {
  return Number(n.toFixed(digits)).toString();
}

/**
 * Indices of the points to draw for a series spread over `pixels` columns: when there are more than
 * two points per column, each column keeps its first, minimum, maximum and last point, so a 10 Hz
 * recording of a day (864,000 points) becomes a few thousand without losing a spike.
 */
export function decimate(t: Float64Array, v: Float64Array, t0: number, t1: number, pixels: number): number[] {
  const n = t.length;
  if (n <= pixels * 2) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const scale = pixels / (t1 - t0 || 1);
  let i = 0;
  while (i < n) {
    const col = Math.floor(((t[i] as number) - t0) * scale);
    const first = i;
    let lo = i;
    let hi = i;
    while (i < n && Math.floor(((t[i] as number) - t0) * scale) === col) {
      if ((v[i] as number) < (v[lo] as number)) lo = i;
      if ((v[i] as number) > (v[hi] as number)) hi = i;
      i++;
    }
    const last = i - 1;
    for (const k of [first, Math.min(lo, hi), Math.max(lo, hi), last]) if (out[out.length - 1] !== k) out.push(k);
  }
  return out;
}

/** Styles series: one process → a colour per metric; several → a colour per process and a dash per metric. */
function styleSeries(timelines: Timeline[]): Map<Series, { color: string; dash: string; label: string }> {
  const out = new Map<Series, { color: string; dash: string; label: string }>();
  const procs = new Set<string>();
  for (const tl of timelines) for (const s of tl.series) if (s.pid !== undefined) procs.add(`${tl.data.source}#${s.pid}`);
  const byProcess = procs.size > 1;
  const colorOf = new Map<string, string>();
  const multiFile = timelines.length > 1;
  for (const tl of timelines) {
    for (const s of tl.series) {
      const key = byProcess ? `${tl.data.source}#${s.pid ?? 'all'}` : s.metric;
      let color = colorOf.get(key);
      if (!color) {
        color = s.metric === 'rssTotal' ? '#000000' : (PALETTE[colorOf.size % PALETTE.length] as string);
        colorOf.set(key, color);
      }
      // One process: its command is the title, the metric names the line. Several: pid too, and the
      // command once, on the RSS line.
      const own = byProcess || s.pid === undefined ? seriesLabel(s, s.metric === 'rss') : s.metric;
      const label = (multiFile ? `${basename(tl.data.source)}: ` : '') + own;
      out.set(s, { color, dash: byProcess ? DASH[s.metric] : '', label });
    }
  }
  return out;
}

/** The legend rows for timelines, in drawing order. */
export function legendRows(timelines: Timeline[]): LegendRow[] {
  const styles = styleSeries(timelines);
  const rows: LegendRow[] = [];
  for (const tl of timelines) {
    for (const s of tl.series) {
      const st = styles.get(s) as { color: string; dash: string; label: string };
      const pk = peakOf(s);
      rows.push({
        key: (timelines.length > 1 ? `${basename(tl.data.source)}:` : '') + s.key,
        label: st.label,
        color: st.color,
        dash: st.dash,
        peak: pk?.value,
        peakT: pk?.t,
        last: s.v.length > 0 ? (s.v[s.v.length - 1] as number) : undefined,
        trend: trendOf(s),
      });
    }
  }
  return rows;
}

/** Renders the chart of one or more recordings as a standalone SVG document. */
export function renderSvg(timelines: Timeline[], opts: PlotOptions = {}): string {
  const W = opts.width ?? 1200;
  const H = opts.height ?? 600;
  const legendW = 300;
  const m = { left: 72, right: 24 + legendW, top: 44, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = timelines.flatMap((tl) => tl.series);
  const styles = styleSeries(timelines);
  const rows = legendRows(timelines);

  // Domain: the window if given, else the data; memory from 0 (a chart of memory that does not
  // start at zero makes 2 MiB of noise look like a leak).
  let t0 = opts.window?.[0] ?? 0;
  let t1 = opts.window?.[1] ?? Infinity;
  if (!Number.isFinite(t1)) {
    t1 = 0;
    for (const tl of timelines) t1 = Math.max(t1, tl.duration);
    for (const tl of timelines) for (const mk of tl.marks) t1 = Math.max(t1, mk.t);
  }
  if (!(t1 > t0)) t1 = t0 + 1;
  let vmax = 0;
  for (const s of all) for (let i = 0; i < s.v.length; i++) if ((s.v[i] as number) > vmax) vmax = s.v[i] as number;
  const ymaxMiB = vmax > 0 ? (vmax / MIB) * 1.08 : 1;
  const x = (t: number): number => m.left + ((t - t0) / (t1 - t0)) * pw;
  const y = (bytes: number): number => m.top + ph - (bytes / MIB / ymaxMiB) * ph;
  const px = (n: number): string => n.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12" role="img">`,
  );
  const title = opts.title ?? (timelines[0] ? timelines[0].data.header.command.join(' ') : 'heapy');
  out.push(`<title>${xmlEscape(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${m.left}" y="24" font-size="15" font-weight="bold">${xmlEscape(title.length > 110 ? title.slice(0, 109) + '…' : title)}</text>`);

  // Grid and axes.
  out.push('<g class="axes" stroke="#dddddd" stroke-width="1">');
  const yt = niceTicks(0, ymaxMiB, 6);
  const xt = niceTicks(t0, t1, 10);
  for (const v of yt) out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${px(y(v * MIB))}" y2="${px(y(v * MIB))}"/>`);
  for (const t of xt) out.push(`<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${m.top}" y2="${m.top + ph}"/>`);
  out.push('</g>');
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444444"/>`);
  out.push('<g class="ticks" fill="#333333">');
  const yDigits = yt.length > 1 && (yt[1] as number) - (yt[0] as number) < 1 ? 2 : 0;
  for (const v of yt) out.push(`<text x="${m.left - 6}" y="${px(y(v * MIB) + 4)}" text-anchor="end">${fmt(v, yDigits)}</text>`);
  const xDigits = xt.length > 1 && (xt[1] as number) - (xt[0] as number) < 1 ? 1 : 0;
  for (const t of xt) out.push(`<text x="${px(x(t))}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(t, xDigits)}</text>`);
  out.push('</g>');
  out.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">time (s)</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">memory (MiB)</text>`);

  // Clip lines to the plot area so a window cuts them cleanly.
  out.push(`<defs><clipPath id="plot-area"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`);

  // GC events: ticks rising from the time axis, taller and red for major collections.
  const gcPaths: Record<string, string[]> = { major: [], minor: [], other: [] };
  for (const tl of timelines) {
    for (const g of tl.gcs) {
      if (g.t < t0 || g.t > t1) continue;
      const cls = g.kind === 'major' ? 'major' : g.kind === 'minor' ? 'minor' : 'other';
      const h = cls === 'major' ? 10 : 5;
      (gcPaths[cls] as string[]).push(`M${px(x(g.t))} ${m.top + ph}v-${h}`);
    }
  }
  const gcColor: Record<string, string> = { major: '#d62728', minor: '#999999', other: '#bbbbbb' };
  out.push('<g class="gc-events" stroke-width="1">');
  for (const [cls, parts] of Object.entries(gcPaths)) {
    if (parts.length > 0) out.push(`<path class="gc gc-${cls}" stroke="${gcColor[cls]}" d="${parts.join('')}"><title>${parts.length} ${cls} GC</title></path>`);
  }
  out.push('</g>');

  // Marks: dashed vertical lines, labelled at the top.
  out.push('<g class="marks">');
  for (const tl of timelines) {
    for (const mk of tl.marks) {
      if (mk.t < t0 || mk.t > t1) continue;
      const mx = px(x(mk.t));
      out.push(
        `<g class="mark"><line x1="${mx}" x2="${mx}" y1="${m.top}" y2="${m.top + ph}" stroke="#555555" stroke-dasharray="4 3"/>` +
          // Read upwards from just above the GC ticks, away from the peak label at the top.
          `<text x="${mx}" y="${m.top + ph - 14}" transform="rotate(-90 ${mx} ${m.top + ph - 14})" dy="-3" font-size="11" fill="#333333">${xmlEscape(mk.label)} (${fmt(mk.t, 2)} s)</text></g>`,
      );
    }
  }
  out.push('</g>');

  // Series.
  out.push('<g class="lines" clip-path="url(#plot-area)" fill="none" stroke-linejoin="round">');
  for (const s of all) {
    const st = styles.get(s) as { color: string; dash: string };
    const idx = decimate(s.t, s.v, t0, t1, pw);
    let d = '';
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number;
      d += `${k === 0 ? 'M' : 'L'}${px(x(s.t[i] as number))} ${px(y(s.v[i] as number))}`;
    }
    const width = s.metric === 'rss' || s.metric === 'rssTotal' ? 2 : 1.5;
    out.push(
      `<path class="series" data-key="${xmlEscape(s.key)}" data-metric="${s.metric}" stroke="${st.color}" stroke-width="${width}"` +
        `${st.dash ? ` stroke-dasharray="${st.dash}"` : ''} d="${d}"/>`,
    );
  }
  // Trend lines over the shown window.
  if (opts.trend) {
    for (const s of all) {
      const tr = trendOf(s);
      if (!tr) continue;
      const st = styles.get(s) as { color: string };
      const a = s.t[0] as number;
      const b = s.t[s.t.length - 1] as number;
      out.push(
        `<path class="trend" data-key="${xmlEscape(s.key)}" data-slope="${tr.slope.toFixed(1)}" stroke="${st.color}" stroke-width="1" stroke-dasharray="3 4" opacity="0.8"` +
          ` d="M${px(x(a))} ${px(y(tr.intercept + tr.slope * a))}L${px(x(b))} ${px(y(tr.intercept + tr.slope * b))}"/>`,
      );
    }
  }
  out.push('</g>');

  // Peaks: a dot on every series, and for the highest one a dashed line and a label (as mprof does).
  out.push('<g class="peaks">');
  let top: { s: Series; t: number; v: number } | undefined;
  for (const s of all) {
    const pk = peakOf(s);
    if (!pk) continue;
    const st = styles.get(s) as { color: string };
    out.push(`<circle class="peak" data-key="${xmlEscape(s.key)}" cx="${px(x(pk.t))}" cy="${px(y(pk.value))}" r="3.5" fill="${st.color}"/>`);
    if (!top || pk.value > top.v) top = { s, t: pk.t, v: pk.value };
  }
  if (top) {
    const py = px(y(top.v));
    const anchorRight = x(top.t) > m.left + pw * 0.6;
    out.push(`<line class="peak-line" x1="${m.left}" x2="${m.left + pw}" y1="${py}" y2="${py}" stroke="#444444" stroke-dasharray="2 3"/>`);
    out.push(
      `<text class="peak-label" x="${px(x(top.t) + (anchorRight ? -8 : 8))}" y="${px(y(top.v) - 7)}" text-anchor="${anchorRight ? 'end' : 'start'}" font-weight="bold">` +
        `peak ${fmt(top.v / MIB, 1)} MiB at ${fmt(top.t, 2)} s</text>`,
    );
  }
  out.push('</g>');

  // Legend.
  const lx = W - legendW + 4;
  out.push(`<g class="legend" font-size="11">`);
  let ly = m.top + 6;
  for (const r of rows) {
    if (ly > H - 20) {
      out.push(`<text x="${lx}" y="${ly}">… ${rows.length - rows.indexOf(r)} more</text>`);
      break;
    }
    out.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${r.color}" stroke-width="2"${r.dash ? ` stroke-dasharray="${r.dash}"` : ''}/>` +
        `<text x="${lx + 32}" y="${ly}">${xmlEscape(r.label.length > 42 ? r.label.slice(0, 41) + '…' : r.label)}</text>`,
    );
    ly += 14;
    const extra = [`peak ${r.peak !== undefined ? fmt(r.peak / MIB, 1) : '-'} MiB`];
    if (opts.trend && r.trend) extra.push(`slope ${formatSlope(r.trend.slope)} (${trendVerdict(r.trend)})`);
    out.push(`<text x="${lx + 32}" y="${ly}" fill="#555555">${xmlEscape(extra.join(', '))}</text>`);
    ly += 18;
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** A slope in bytes per second as signed MiB/s with enough digits to be useful. */
export function formatSlope(bytesPerSecond: number): string {
  const v = bytesPerSecond / MIB;
  const digits = Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 0.1 ? 2 : 3;
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)} MiB/s`;
}

/** A self-contained HTML page: the SVG inline, a table of the series, the marks and the GC summary. No network, no script. */
export function renderHtml(timelines: Timeline[], opts: PlotOptions = {}): string {
  const svg = renderSvg(timelines, opts);
  const rows = legendRows(timelines);
  const title = opts.title ?? (timelines[0] ? timelines[0].data.header.command.join(' ') : 'heapy');
  const mibs = (b: number | undefined): string => (b === undefined ? '' : fmt(b / MIB, 1));
  const out: string[] = [];
  out.push('<!doctype html>');
  out.push('<html lang="en"><head><meta charset="utf-8">');
  // The page loads nothing: a strict policy makes that checkable.
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  out.push(`<title>heapy plot: ${xmlEscape(title)}</title>`);
  out.push(`<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; } .meta { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin-top: 1em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: right; }
th:first-child, td:first-child, td.label { text-align: left; }
svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.swatch { display: inline-block; width: 1.6em; border-top: 2px solid; vertical-align: middle; margin-right: 0.4em; }
</style></head><body>`);
  out.push(`<h1>${xmlEscape(title)}</h1>`);
  for (const tl of timelines) {
    const h = tl.data.header;
    out.push(
      `<p class="meta">${xmlEscape(basename(tl.data.source))}: started ${xmlEscape(new Date(h.start).toISOString())} on ${xmlEscape(h.host ?? '?')},` +
        ` ${fmt(tl.duration, 2)} s, ${tl.commands.size} process${tl.commands.size === 1 ? '' : 'es'}, sampled every ${fmt(h.interval * 1000, 0)} ms,` +
        ` ${tl.gcs.length} GC events, ${tl.marks.length} marks${tl.data.partialTail ? ' (file still being written)' : ''}</p>`,
    );
  }
  out.push(svg);
  out.push('<table class="series-table"><thead><tr><th>series</th><th>peak (MiB)</th><th>at (s)</th><th>last (MiB)</th><th>slope (MiB/s)</th><th>trend</th></tr></thead><tbody>');
  for (const r of rows) {
    out.push(
      `<tr><td class="label"><span class="swatch" style="border-color:${r.color}; border-top-style:${r.dash ? 'dashed' : 'solid'}"></span>${xmlEscape(r.label)}</td>` +
        `<td>${mibs(r.peak)}</td><td>${r.peakT === undefined ? '' : fmt(r.peakT, 2)}</td><td>${mibs(r.last)}</td>` +
        `<td>${r.trend ? (r.trend.slope / MIB).toFixed(3) : ''}</td><td>${r.trend ? trendVerdict(r.trend) : ''}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  const marks = timelines.flatMap((tl) => tl.marks.map((mk) => ({ file: basename(tl.data.source), ...mk })));
  if (marks.length > 0) {
    out.push('<table class="marks-table"><thead><tr><th>mark</th><th>t (s)</th><th>pid</th></tr></thead><tbody>');
    for (const mk of marks) out.push(`<tr><td class="label">${xmlEscape(mk.label)}</td><td>${fmt(mk.t, 3)}</td><td>${mk.pid}</td></tr>`);
    out.push('</tbody></table>');
  }
  out.push('</body></html>');
  return out.join('\n') + '\n';
}
