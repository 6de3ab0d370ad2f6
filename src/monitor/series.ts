/**
 * From records to plottable series, peaks and trends. Pure: data in, data out.
 */
import { ExitCode, HeapyError } from '../errors.js';
import type { GcRecord, MarkRecord, MonitorData } from './format.js';

/** A quantity that can be drawn: per-process RSS, per-process V8 figures, or RSS summed over processes. */
export type Metric = 'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers' | 'rssTotal';

/** Every metric name, in drawing order. */
export const ALL_METRICS: readonly Metric[] = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'rssTotal'];

/** The metrics drawn when the user names none (mprof draws RSS; heapy adds the V8 heap). */
export const DEFAULT_METRICS: readonly Metric[] = ['rss', 'heapUsed', 'heapTotal', 'external'];

/** One line of a chart. */
export interface Series {
  /** Stable identifier, unique within one file: `<metric>` or `<metric>:<pid>`. */
  key: string;
  metric: Metric;
  /** The process, or undefined for `rssTotal`. */
  pid: number | undefined;
  /** The process's command line ('' for totals). */
  cmd: string;
  /** The data file it came from. */
  source: string;
  /** Times in seconds and values in bytes, both in time order. */
  t: Float64Array;
  v: Float64Array;
}

/** The largest value of a series and when. */
export interface Peak {
  value: number;
  t: number;
}

/** A least-squares line `v = intercept + slope * t`. */
export interface Trend {
  /** Bytes per second. */
  slope: number;
  /** Bytes at t = 0. */
  intercept: number;
  /** Points used. */
  n: number;
  /** Standard deviation of the points around the line, bytes (the noise the slope must beat). */
  residualStd: number;
  /** Seconds covered by the points. */
  span: number;
}

/** Whether a trend shows growth: see {@link trendVerdict}. */
export type TrendVerdict = 'growing' | 'flat' | 'shrinking';

/** Everything a view needs from one data file, restricted to a time window. */
export interface Timeline {
  data: MonitorData;
  series: Series[];
  gcs: GcRecord[];
  marks: MarkRecord[];
  /** Last time seen in the file (seconds), whatever the record type. */
  duration: number;
  /** Command line of each process seen. */
  commands: Map<number, string>;
}

/** Parses a `--series` list such as `rss,heapUsed`. */
export function parseMetrics(text: string): Metric[] {
  const out: Metric[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = ALL_METRICS.find((x) => x.toLowerCase() === part.toLowerCase());
    if (!m) throw new HeapyError(`--series: unknown series '${part}' (choose from ${ALL_METRICS.join(', ')})`, ExitCode.usage);
    if (!out.includes(m)) out.push(m);
  }
  if (out.length === 0) throw new HeapyError('--series: empty list', ExitCode.usage);
  return out;
}

/** Builds the series of `metrics` (in that order, process by process) within `window` (seconds). */
export function buildTimeline(data: MonitorData, metrics: readonly Metric[] = DEFAULT_METRICS, window: [number, number] = [0, Infinity]): Timeline {
  const [w0, w1] = window;
  const inWin = (t: number): boolean => t >= w0 && t <= w1;
  const commands = new Map<number, string>();
  const pidOrder: number[] = [];
  const points = new Map<string, number[]>(); // key -> flat [t, v, t, v, ...]
  const push = (key: string, t: number, v: number): void => {
    let arr = points.get(key);
    if (!arr) points.set(key, (arr = []));
    arr.push(t, v);
  };
  const totals = new Map<number, number>(); // t -> summed rss of that tick
  const gcs: GcRecord[] = [];
  const marks: MarkRecord[] = [];
  let duration = 0;
  const want = new Set(metrics);
  const note = (pid: number): void => {
    if (!commands.has(pid)) {
      commands.set(pid, '');
      pidOrder.push(pid);
    }
  };
  for (const r of data.records) {
    if (r.t > duration) duration = r.t;
    switch (r.type) {
      case 'proc':
        note(r.pid);
        if (!commands.get(r.pid)) commands.set(r.pid, r.cmd);
        break;
      case 'rss':
        note(r.pid);
        if (!inWin(r.t)) break;
        if (want.has('rss')) push(`rss:${r.pid}`, r.t, r.rss);
        totals.set(r.t, (totals.get(r.t) ?? 0) + r.rss);
        break;
      case 'heap':
        note(r.pid);
        if (!inWin(r.t)) break;
        for (const m of ['heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const) if (want.has(m)) push(`${m}:${r.pid}`, r.t, r[m]);
        break;
      case 'gc':
        if (inWin(r.t)) gcs.push(r);
        break;
      case 'mark':
        if (inWin(r.t)) marks.push(r);
        break;
      default:
        break;
    }
  }
  const series: Series[] = [];
  const make = (key: string, metric: Metric, pid: number | undefined, flat: number[]): Series => {
    // Probe and /proc records interleave by arrival; sort each series by time to be safe.
    const idx = Array.from({ length: flat.length / 2 }, (_, i) => i).sort((a, b) => (flat[2 * a] as number) - (flat[2 * b] as number));
    const t = new Float64Array(idx.length);
    const v = new Float64Array(idx.length);
    idx.forEach((j, i) => {
      t[i] = flat[2 * j] as number;
      v[i] = flat[2 * j + 1] as number;
    });
    return { key, metric, pid, cmd: pid === undefined ? '' : commands.get(pid) ?? '', source: data.source, t, v };
  };
  for (const pid of pidOrder) {
    for (const m of metrics) {
      if (m === 'rssTotal') continue;
      const flat = points.get(`${m}:${pid}`);
      if (flat && flat.length > 0) series.push(make(`${m}:${pid}`, m, pid, flat));
    }
  }
  if (want.has('rssTotal') && totals.size > 0) {
    const flat: number[] = [];
    for (const [t, v] of totals) flat.push(t, v);
    series.push(make('rssTotal', 'rssTotal', undefined, flat));
  }
  gcs.sort((a, b) => a.t - b.t);
  marks.sort((a, b) => a.t - b.t);
  return { data, series, gcs, marks, duration, commands };
}

/** The peak of a series (the first time it is reached), or undefined if it is empty. */
export function peakOf(s: Series): Peak | undefined {
  if (s.v.length === 0) return undefined;
  let best = 0;
  for (let i = 1; i < s.v.length; i++) if ((s.v[i] as number) > (s.v[best] as number)) best = i;
  return { value: s.v[best] as number, t: s.t[best] as number };
}

/** Least-squares line through the points of a series; undefined with fewer than 2 distinct times. */
export function trendOf(s: Series): Trend | undefined {
  const n = s.t.length;
  if (n < 2) return undefined;
  let mt = 0;
  let mv = 0;
  for (let i = 0; i < n; i++) {
    mt += s.t[i] as number;
    mv += s.v[i] as number;
  }
  mt /= n;
  mv /= n;
  let stt = 0;
  let stv = 0;
  for (let i = 0; i < n; i++) {
    const dt = (s.t[i] as number) - mt;
    stt += dt * dt;
    stv += dt * ((s.v[i] as number) - mv);
  }
  if (stt === 0) return undefined;
  const slope = stv / stt;
  const intercept = mv - slope * mt;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = (s.v[i] as number) - (intercept + slope * (s.t[i] as number));
    sse += r * r;
  }
  return { slope, intercept, n, residualStd: Math.sqrt(sse / n), span: (s.t[n - 1] as number) - (s.t[0] as number) };
}

/**
 * Classifies a trend: 'growing' (or 'shrinking') when the line rises (falls) over the covered time
 * by more than twice the points' scatter around it AND by more than 1 MiB; 'flat' otherwise.
 * The scatter test keeps a GC sawtooth from reading as growth; the 1 MiB floor keeps a perfectly
 * smooth but tiny drift (a few KiB of JIT code) from being called a leak.
 */
export function trendVerdict(tr: Trend): TrendVerdict {
  const rise = tr.slope * tr.span;
  if (Math.abs(rise) <= 2 * tr.residualStd || Math.abs(rise) <= 1048576) return 'flat';
  return rise > 0 ? 'growing' : 'shrinking';
}

/** A human label for a series: `rss 1234 (node app.js)`. */
export function seriesLabel(s: Series, withCommand = true): string {
  if (s.pid === undefined) return 'rss (all processes)';
  const cmd = withCommand && s.cmd ? ` (${s.cmd.length > 40 ? s.cmd.slice(0, 39) + '…' : s.cmd})` : '';
  return `${s.metric} ${s.pid}${cmd}`;
}

/** Per-process and overall figures of one recording: what `heapy peak` and `heapy list` print. */
export interface MonitorSummary {
  source: string;
  /** Epoch milliseconds. */
  start: number;
  command: string[];
  mode: 'run' | 'monitor';
  /** Seconds from the start to the last record. */
  duration: number;
  /** Whether the recording has its end record (false: still running, or heapy was killed). */
  complete: boolean;
  /** Exit code of the root process when known. */
  exitCode: number | null;
  /** Peak of RSS summed over processes (equals the root's RSS for one process). */
  peakRss: Peak | undefined;
  /** Peak of heapUsed summed over Node processes, when any reported it. */
  peakHeapUsed: Peak | undefined;
  processes: Array<{
    pid: number;
    cmd: string;
    samples: number;
    peakRss: Peak | undefined;
    peakHeapUsed: Peak | undefined;
    /** Least-squares slopes in bytes per second. */
    rssSlope: number | undefined;
    heapUsedSlope: number | undefined;
  }>;
  gcCount: number;
  /** Total GC pause in milliseconds. */
  gcTime: number;
  marks: Array<{ t: number; pid: number; label: string }>;
}

/** Sums a per-process metric over processes, carrying each process's last value forward in time. */
function summedPeak(tl: Timeline, metric: Metric): Peak | undefined {
  const parts = tl.series.filter((s) => s.metric === metric);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return peakOf(parts[0] as Series);
  const events: Array<[number, number, number]> = [];
  parts.forEach((s, k) => {
    for (let i = 0; i < s.t.length; i++) events.push([s.t[i] as number, k, s.v[i] as number]);
  });
  events.sort((a, b) => a[0] - b[0]);
  const last = new Float64Array(parts.length);
  let sum = 0;
  let best: Peak | undefined;
  for (let i = 0; i < events.length; i++) {
    const [t, k, v] = events[i] as [number, number, number];
    sum += v - (last[k] as number);
    last[k] = v;
    // Evaluate once all updates at the same time are applied.
    const next = events[i + 1];
    if (next && next[0] === t) continue;
    if (!best || sum > best.value) best = { value: sum, t };
  }
  return best;
}

/** Summarizes one data file. */
export function summarize(data: MonitorData): MonitorSummary {
  const tl = buildTimeline(data, ['rss', 'heapUsed', 'rssTotal']);
  let exitCode: number | null = null;
  let complete = false;
  const samples = new Map<number, number>();
  let gcCount = 0;
  let gcTime = 0;
  for (const r of data.records) {
    if (r.type === 'exit' && r.pid === data.header.pid) exitCode = r.code;
    else if (r.type === 'end') complete = true;
    else if (r.type === 'rss') samples.set(r.pid, (samples.get(r.pid) ?? 0) + 1);
  }
  for (const r of data.records) {
    if (r.type === 'gc') {
      gcCount++;
      gcTime += r.duration;
    }
  }
  const total = tl.series.find((s) => s.metric === 'rssTotal');
  const processes = [...tl.commands.keys()].map((pid) => {
    const rss = tl.series.find((s) => s.metric === 'rss' && s.pid === pid);
    const heap = tl.series.find((s) => s.metric === 'heapUsed' && s.pid === pid);
    return {
      pid,
      cmd: tl.commands.get(pid) ?? '',
      samples: samples.get(pid) ?? 0,
      peakRss: rss && peakOf(rss),
      peakHeapUsed: heap && peakOf(heap),
      rssSlope: rss && trendOf(rss)?.slope,
      heapUsedSlope: heap && trendOf(heap)?.slope,
    };
  });
  return {
    source: data.source,
    start: data.header.start,
    command: data.header.command,
    mode: data.header.mode,
    duration: tl.duration,
    complete,
    exitCode,
    peakRss: total && peakOf(total),
    peakHeapUsed: summedPeak(tl, 'heapUsed'),
    processes,
    gcCount,
    gcTime: Math.round(gcTime * 1000) / 1000,
    marks: tl.marks.map((m) => ({ t: m.t, pid: m.pid, label: m.label })),
  };
}
