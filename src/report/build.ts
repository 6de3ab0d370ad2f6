/**
 * Assembles a whole report from its inputs: the heap sections of the last snapshot, the
 * comparisons that two or three snapshots allow, and the timelines of monitor recordings.
 */
import type { MonitorData } from '../monitor/format.js';
import { buildReport, type ReportData, type ReportOptions, type ReportSnapshot } from './model.js';
import { timelineSection } from './timeline.js';

/** What `heapy report` was given. */
export interface ReportInputs {
  /** One to three snapshots of one process, oldest first. */
  readonly snapshots: readonly ReportSnapshot[];
  /** Monitor recordings (`heapy run` / `heapy monitor` data files). */
  readonly monitors?: readonly MonitorData[];
}

/** Builds the report data of `inputs`; each optional section appears when its inputs allow it. */
export function assembleReport(inputs: ReportInputs, options: ReportOptions = {}): ReportData {
  let data = buildReport(inputs.snapshots, options);
  const monitors = inputs.monitors ?? [];
  if (monitors.length > 0) {
    const t0 = performance.now();
    data = { ...data, timelines: monitors.map((m) => timelineSection(m)), timings: { ...data.timings, timeline: Math.round(performance.now() - t0) } };
  }
  return data;
}
