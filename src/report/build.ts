/**
 * Assembles a whole report from its inputs: the heap sections of the last snapshot, the
 * comparisons that two or three snapshots allow, hints, back-reference graphs, and the timelines
 * of monitor recordings. Every optional section appears when its inputs allow it.
 */
import type { MonitorData } from '../monitor/format.js';
import { diffSection, graphSections, graphStarts, hintsSection, leakSection, type ReportSamples } from './analyses.js';
import { buildReport, withObjects, type ReportData, type ReportOptions, type ReportSnapshot } from './model.js';
import { timelineSection } from './timeline.js';

/** What `heapy report` was given. */
export interface ReportInputs {
  /** One to three snapshots of one process, oldest first. */
  readonly snapshots: readonly ReportSnapshot[];
  /** Monitor recordings (`heapy run` / `heapy monitor` data files). */
  readonly monitors?: readonly MonitorData[];
  /** Allocation samples taken between the second and third snapshot, for the leak clusters' sites. */
  readonly samples?: ReportSamples | undefined;
}

/** Which optional sections to build (all by default). */
export interface SectionOptions {
  readonly hints?: boolean;
  /** How many back-reference graphs (default 3; 0 for none). */
  readonly graphs?: number;
}

/** Builds the report data of `inputs`. */
export async function assembleReport(inputs: ReportInputs, options: ReportOptions & SectionOptions = {}): Promise<ReportData> {
  const snaps = inputs.snapshots;
  const last = snaps[snaps.length - 1];
  if (!last) throw new Error('assembleReport needs at least one snapshot');
  const snap = last.snapshot;
  const progress = options.onProgress ?? (() => {});
  let data = buildReport(snaps, options);
  const timings: Record<string, number> = { ...data.timings };
  const timed = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
    progress(name, 0, 1);
    const t0 = performance.now();
    const v = await f();
    timings[name] = Math.round(performance.now() - t0);
    return v;
  };
  const extraOrds: number[] = [];
  if (snaps.length >= 2) {
    const diff = await timed('diff', () => diffSection(snaps[0]!, last));
    data = { ...data, diff };
  }
  let leakOrds: number[] = [];
  if (snaps.length === 3) {
    const { section, ordinals } = await timed('leaks', () => leakSection(snaps[0]!, snaps[1]!, last, inputs.samples));
    data = { ...data, leaks: section };
    leakOrds = ordinals.filter((_, i) => i % 2 === 1);
    extraOrds.push(...ordinals);
  }
  if (options.hints !== false) {
    const { hints, ordinals } = await timed('hints', () => hintsSection(snap, snaps.length >= 2 ? snaps[0]!.snapshot : undefined));
    data = { ...data, hints };
    extraOrds.push(...ordinals);
  }
  const graphCount = options.graphs ?? 3;
  if (graphCount > 0) {
    const starts = graphStarts(snap, data.partitions.kind?.rows ?? [], leakOrds, graphCount);
    if (starts.length > 0) {
      const graphs = await timed('graphs', () => graphSections(snap, starts));
      data = { ...data, graphs };
      extraOrds.push(...starts.map((s) => s.ord));
    }
  }
  if (extraOrds.length > 0) data = await timed('more objects', () => withObjects(data, snap, extraOrds));
  const monitors = inputs.monitors ?? [];
  if (monitors.length > 0) data = { ...data, timelines: await timed('timeline', () => monitors.map((m) => timelineSection(m))) };
  progress('done', 1, 1);
  return { ...data, timings };
}
