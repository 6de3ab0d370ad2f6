/**
 * Allocation sites from V8's sampling heap profiler (HeapProfiler.getSamplingProfile): which
 * function, at which file:line:column, holds how many of the sampled live bytes, and by which call
 * path. Pure: profile in, report out; plus the text table and the growth tracker of `--watch`.
 *
 * What "line" means here: V8 records, for each stack frame of a sample, the function and the source
 * position of that function's start (not the line of the `new` inside it). So a site is a
 * function, located by the line and column where it is defined.
 */
import { fileURLToPath } from 'node:url';
import { isAbsolute, relative } from 'node:path';
import { formatBytes } from '../util/format.js';

/** A stack frame as CDP's Runtime.CallFrame gives it (line and column 0-based, -1 unknown). */
export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** A node of the sampling profile's call tree. */
export interface ProfileNode {
  callFrame: CallFrame;
  /** Bytes of the live samples allocated with exactly this stack. */
  selfSize: number;
  id: number;
  children: ProfileNode[];
}

/** HeapProfiler.SamplingHeapProfile. */
export interface SamplingProfile {
  head: ProfileNode;
  samples?: Array<{ size: number; nodeId: number; ordinal: number }>;
}

/** A frame of a call path, for display. */
export interface SiteFrame {
  functionName: string;
  url: string;
  /** 1-based; 0 when V8 did not say. */
  line: number;
  column: number;
}

/** One allocation site: a function (by its source position) and the live sampled bytes it allocated. */
export interface AllocationSite extends SiteFrame {
  /** `functionName url:line:column`, unique within a report. */
  key: string;
  /** Live sampled bytes allocated directly in this function (not in its callees). */
  bytes: number;
  /** bytes / total, 0..1. */
  share: number;
  /** Number of samples behind `bytes`. */
  samples: number;
  /** The call path (outermost first, ending with this site) that holds most of `bytes`. */
  path: SiteFrame[];
  /** How many distinct call paths reach this site with live bytes. */
  paths: number;
}

/** The allocation sites of one profile. */
export interface AllocationReport {
  /** Live sampled bytes over all sites. */
  totalBytes: number;
  totalSamples: number;
  /** Sorted by bytes, largest first. */
  sites: AllocationSite[];
  /** Bytes between samples the profiler was started with (on average one sample per this many bytes allocated). */
  samplingInterval: number;
  /** Milliseconds the sampling window lasted. */
  durationMs: number;
}

/** A CDP call frame for display: '(anonymous)' for unnamed functions, 1-based line and column (0 unknown). */
export function frameOf(cf: CallFrame): SiteFrame {
  return {
    functionName: cf.functionName || '(anonymous)',
    url: cf.url,
    line: cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0,
    column: cf.columnNumber >= 0 ? cf.columnNumber + 1 : 0,
  };
}

/** `functionName url:line:column` (or the name alone for frames without a script): one key per function. */
export function siteKey(f: SiteFrame): string {
  return f.url ? `${f.functionName} ${f.url}:${f.line}:${f.column}` : f.functionName;
}

/**
 * Remembers the source positions of profile nodes and restores them in later profiles of the same
 * sampling session. Needed because V8 resolves positions through the script at the time of
 * getSamplingProfile: once a short program has ended (or its functions were collected), its frames
 * come back with url '' and line -1. Node ids are stable within one sampling session.
 */
export class PositionCache {
  private readonly byId = new Map<number, CallFrame>();

  /** Learns positions from `profile` and fills unknown ones in place from earlier profiles. */
  apply(profile: SamplingProfile): void {
    const stack: ProfileNode[] = [profile.head];
    while (stack.length > 0) {
      const n = stack.pop() as ProfileNode;
      const cf = n.callFrame;
      if (cf.lineNumber >= 0 && cf.url) this.byId.set(n.id, { ...cf });
      else {
        const known = this.byId.get(n.id);
        if (known) n.callFrame = { ...known, functionName: cf.functionName || known.functionName };
      }
      for (const c of n.children) stack.push(c);
    }
  }
}

/** Builds the report of a profile: sites by live sampled bytes, with shares and call paths. */
export function allocationSites(profile: SamplingProfile, samplingInterval: number, durationMs: number): AllocationReport {
  interface Acc {
    frame: SiteFrame;
    bytes: number;
    samples: number;
    best: number;
    bestPath: SiteFrame[];
    paths: number;
  }
  const sites = new Map<string, Acc>();
  const sampleCount = new Map<number, number>();
  for (const s of profile.samples ?? []) sampleCount.set(s.nodeId, (sampleCount.get(s.nodeId) ?? 0) + 1);
  let total = 0;
  let totalSamples = 0;
  // Iterative depth-first walk; the path is kept as a stack of frames (the tree is a few hundred
  // nodes deep at most, so copying the path only for nodes that own bytes is cheap).
  const path: SiteFrame[] = [];
  const walk = (node: ProfileNode, depth: number): void => {
    path.length = depth;
    const f = frameOf(node.callFrame);
    const isRoot = depth === 0 && node.callFrame.functionName === '(root)';
    if (!isRoot) path.push(f);
    const d = path.length;
    if (node.selfSize > 0) {
      const key = siteKey(f);
      let acc = sites.get(key);
      if (!acc) sites.set(key, (acc = { frame: f, bytes: 0, samples: 0, best: -1, bestPath: [], paths: 0 }));
      acc.bytes += node.selfSize;
      acc.paths++;
      const n = sampleCount.get(node.id) ?? 0;
      acc.samples += n;
      totalSamples += n;
      total += node.selfSize;
      if (node.selfSize > acc.best) {
        acc.best = node.selfSize;
        acc.bestPath = path.slice(0, d);
      }
    }
    for (const c of node.children) walk(c, d);
  };
  walk(profile.head, 0);
  const list: AllocationSite[] = [...sites.entries()].map(([key, a]) => ({
    ...a.frame,
    key,
    bytes: a.bytes,
    share: total > 0 ? a.bytes / total : 0,
    samples: a.samples,
    path: a.bestPath,
    paths: a.paths,
  }));
  list.sort((x, y) => y.bytes - x.bytes || x.key.localeCompare(y.key));
  return { totalBytes: total, totalSamples, sites: list, samplingInterval, durationMs };
}

/** A script URL as a short location: file URLs and absolute paths relative to `cwd` when inside it. */
export function shortUrl(url: string, cwd = process.cwd()): string {
  let p = url;
  if (p.startsWith('file://')) {
    try {
      p = fileURLToPath(p);
    } catch {
      return url;
    }
  }
  if (isAbsolute(p)) {
    const r = relative(cwd, p);
    if (!r.startsWith('..') && !isAbsolute(r)) return r;
  }
  return p;
}

/** `file:line:column`, or '' for frames without a script (V8's own pseudo-frames). */
export function formatLocation(f: SiteFrame, cwd?: string): string {
  if (!f.url) return '';
  return `${shortUrl(f.url, cwd)}:${f.line || '?'}:${f.column || '?'}`;
}

/** Options of {@link formatAllocTable}. */
export interface AllocTableOptions {
  /** Rows to show (default 20). */
  top?: number;
  /** Directory locations are shown relative to. */
  cwd?: string;
  /** Print each site's call path under it (default true). */
  paths?: boolean;
}

/** The text table of `heapy alloc`. */
export function formatAllocTable(r: AllocationReport, opts: AllocTableOptions = {}): string {
  const top = opts.top ?? 20;
  const lines: string[] = [];
  lines.push(
    `Allocation sites: ${formatBytes(r.totalBytes)} live in ${r.totalSamples} samples, ${r.sites.length} sites, ` +
      `over ${(r.durationMs / 1000).toFixed(1)} s (one sample per ${formatBytes(r.samplingInterval)} allocated)`,
  );
  lines.push(' Index   Live bytes      %  Cumul %  Samples  Function / location');
  let cum = 0;
  const shown = r.sites.slice(0, top);
  shown.forEach((s, i) => {
    cum += s.share;
    const loc = formatLocation(s, opts.cwd);
    lines.push(
      `${String(i).padStart(6)} ${formatBytes(s.bytes).padStart(12)} ${(s.share * 100).toFixed(1).padStart(6)} ${(cum * 100).toFixed(1).padStart(8)} ${String(s.samples).padStart(8)}  ${s.functionName}${loc ? '  ' + loc : ''}`,
    );
    if (opts.paths !== false && s.path.length > 1) {
      const frames = s.path.map((f) => (f.url ? `${f.functionName} (${formatLocation(f, opts.cwd)})` : f.functionName));
      // Long paths keep their innermost frames: the caller chain near the site is what explains it.
      const text = frames.length > 8 ? ['…', ...frames.slice(-7)].join(' > ') : frames.join(' > ');
      lines.push(`${' '.repeat(8)}path: ${text}${s.paths > 1 ? `  (+${s.paths - 1} other path${s.paths > 2 ? 's' : ''})` : ''}`);
    }
  });
  if (r.sites.length > top) {
    const rest = r.sites.slice(top).reduce((a, s) => a + s.bytes, 0);
    lines.push(`<${r.sites.length - top} more sites, ${formatBytes(rest)}>`);
  }
  return lines.join('\n');
}

/** A site whose live bytes rose since the previous profile. */
export interface GrowingSite {
  key: string;
  functionName: string;
  location: SiteFrame;
  /** Live sampled bytes now. */
  bytes: number;
  /** Change since the previous profile. */
  delta: number;
  /** Profiles in a row (ending now) in which the site grew. */
  streak: number;
  /** Change since the site was first seen. */
  since: number;
}

/** One step of `--watch`. */
export interface GrowthStep {
  /** Seconds since watching started. */
  t: number;
  totalBytes: number;
  /** Change of the total since the previous profile. */
  delta: number;
  /** Sites that grew in this step, most persistent first (then largest growth). */
  growing: GrowingSite[];
}

/**
 * Follows successive profiles of one sampling session and reports the sites whose live bytes keep
 * rising. A rise must exceed one sampling interval to count: below that it is sampling noise.
 */
export class GrowthTracker {
  private readonly prev = new Map<string, number>();
  private readonly first = new Map<string, number>();
  private readonly streak = new Map<string, number>();
  private prevTotal: number | undefined;

  /** Feeds the next profile's report; returns what grew since the previous one. */
  add(r: AllocationReport, t: number): GrowthStep {
    const growing: GrowingSite[] = [];
    const seen = new Set<string>();
    for (const s of r.sites) {
      seen.add(s.key);
      // A site that appears after the first profile started from nothing.
      if (!this.first.has(s.key)) this.first.set(s.key, this.prevTotal === undefined ? s.bytes : 0);
      const before = this.prev.get(s.key);
      const delta = s.bytes - (before ?? 0);
      const grew = this.prevTotal !== undefined && delta > r.samplingInterval;
      const st = grew ? (this.streak.get(s.key) ?? 0) + 1 : 0;
      this.streak.set(s.key, st);
      this.prev.set(s.key, s.bytes);
      if (grew) {
        growing.push({ key: s.key, functionName: s.functionName, location: { functionName: s.functionName, url: s.url, line: s.line, column: s.column }, bytes: s.bytes, delta, streak: st, since: s.bytes - (this.first.get(s.key) ?? 0) });
      }
    }
    for (const k of [...this.prev.keys()]) {
      if (!seen.has(k)) {
        this.prev.set(k, 0);
        this.streak.set(k, 0);
      }
    }
    growing.sort((a, b) => b.streak - a.streak || b.delta - a.delta);
    const delta = this.prevTotal === undefined ? 0 : r.totalBytes - this.prevTotal;
    this.prevTotal = r.totalBytes;
    return { t, totalBytes: r.totalBytes, delta, growing };
  }
}

/** The text of one `--watch` step. */
export function formatGrowthStep(g: GrowthStep, opts: { top?: number; cwd?: string } = {}): string {
  const top = opts.top ?? 10;
  const sign = (n: number): string => (n >= 0 ? '+' : '-') + formatBytes(Math.abs(n));
  const lines = [`[${g.t.toFixed(1).padStart(7)} s] live ${formatBytes(g.totalBytes)} (${sign(g.delta)}), ${g.growing.length} site${g.growing.length === 1 ? '' : 's'} growing`];
  for (const s of g.growing.slice(0, top)) {
    const loc = formatLocation(s.location, opts.cwd);
    lines.push(
      `  ${sign(s.delta).padStart(12)}  ${s.functionName}${loc ? '  ' + loc : ''}  (${s.streak} profile${s.streak === 1 ? '' : 's'} in a row, now ${formatBytes(s.bytes)}, ${sign(s.since)} since first seen)`,
    );
  }
  return lines.join('\n');
}
