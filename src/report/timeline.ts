/**
 * The report's memory timeline from a monitor recording (`heapy run` / `heapy monitor` data files):
 * series decimated to what a page can draw, marks, and GC events thinned to a few thousand.
 */
import { decimate } from '../monitor/plot.js';
import { buildTimeline, peakOf, seriesLabel, type Metric } from '../monitor/series.js';
import type { MonitorData } from '../monitor/format.js';
import type { TimelineSection } from './model.js';

/** Columns a series is decimated to: 1200 columns keep each column's min and max, so spikes survive. */
const COLUMNS = 1200;
/** GC events kept; a 10-minute recording can hold 100 k scavenges, which would only paint a bar. */
const MAX_GCS = 3000;

/** The timeline section of one recording. */
export function timelineSection(data: MonitorData, metrics: readonly Metric[] = ['rss', 'heapUsed', 'heapTotal', 'external']): TimelineSection {
  const tl = buildTimeline(data, metrics);
  const series = tl.series.map((s) => {
    const t0 = s.t.length > 0 ? s.t[0]! : 0;
    const t1 = s.t.length > 0 ? s.t[s.t.length - 1]! : 0;
    const keep = decimate(s.t, s.v, t0, t1, COLUMNS);
    const peak = peakOf(s);
    // One process: the metric names the line; several: the pid too.
    const label = tl.commands.size > 1 ? seriesLabel(s, false) : s.metric;
    return {
      key: s.key,
      label,
      metric: s.metric,
      t: keep.map((i) => s.t[i]!),
      v: keep.map((i) => s.v[i]!),
      peak: peak?.value ?? 0,
      peakT: peak?.t ?? 0,
    };
  });
  let gcMs = 0;
  for (const g of tl.gcs) gcMs += g.duration;
  const step = Math.max(1, Math.ceil(tl.gcs.length / MAX_GCS));
  const gcs: Array<{ t: number; kind: string; ms: number }> = [];
  for (let i = 0; i < tl.gcs.length; i += step) {
    // Of each group of `step` events keep the longest pause, so the ticks still show the bad ones.
    let best = tl.gcs[i]!;
    for (let j = i + 1; j < Math.min(tl.gcs.length, i + step); j++) if (tl.gcs[j]!.duration > best.duration) best = tl.gcs[j]!;
    gcs.push({ t: best.t, kind: best.kind, ms: best.duration });
  }
  return {
    source: data.source,
    command: data.header.command.join(' '),
    start: data.header.start,
    duration: tl.duration,
    series,
    marks: tl.marks.map((m) => ({ t: m.t, label: m.label })),
    gcs,
    gcCount: tl.gcs.length,
    gcMs: Math.round(gcMs * 10) / 10,
  };
}
