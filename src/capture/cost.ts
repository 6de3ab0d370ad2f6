/**
 * The cost guard: what a heap snapshot would add to the target's memory, what the target can get,
 * and the refusal when the first does not fit in the second.
 *
 * A snapshot is not cheap for the target: V8 builds the whole graph in C++ (an entry per object,
 * an edge per reference, an id-map entry per object, names) and serialises it while the heap is
 * still there, and much of that memory stays mapped afterwards. Measured on Node 20 by
 * bench/capture-cost.mjs (see the constants below): hundreds of bytes per heap object, so a
 * 100 MB heap of small objects costs gigabytes. A target in a container with a memory limit is
 * killed by the kernel mid-capture; the guard refuses instead, before anything is asked of V8.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ExitCode, HeapyError } from '../errors.js';
import { formatBytes } from '../util/format.js';

/** One entry of v8.getHeapSpaceStatistics(). */
export interface HeapSpaceFigures {
  readonly space_name: string;
  readonly space_used_size: number;
}

/** The figures the guard reads in the target, all cheap (no heap walk). */
export interface CaptureFigures {
  /** process.memoryUsage(): rss and heapUsed are used. */
  readonly memoryUsage: { readonly rss: number; readonly heapUsed: number };
  /** v8.getHeapSpaceStatistics(). */
  readonly heapSpaceStatistics: readonly HeapSpaceFigures[];
}

/**
 * The expression that reads {@link CaptureFigures} in a target over Runtime.evaluate (with
 * includeCommandLineAPI, for `require` where process.getBuiltinModule is missing).
 */
export const FIGURES_EXPRESSION = `(() => {
  const v8 = process.getBuiltinModule?.('v8') ?? require('v8');
  return { memoryUsage: process.memoryUsage(), heapSpaceStatistics: v8.getHeapSpaceStatistics() };
})()`;

// The model, calibrated by bench/capture-cost.mjs on Node 20.20 (bench/results/capture-cost.json,
// 2026-12-01). Peak extra RSS of `heapy snapshot` measured per shape, against the bytes in the
// spaces that hold ordinary objects (old, new, code; not the large-object spaces):
//   small objects {a,b,c}: 136 MiB → +4.0 GiB (30×), 336 MiB → +10.5 GiB (32×);
//   service-like cache (test/programs/attach-ballast.mjs 150): 159 MiB → +2.5 GiB (16×);
//   a TypeScript compiler program (test/programs/tsc-heap.mjs): 157 MiB → +0.74 GiB (4.7×);
//   200 external 1 MiB strings, or 256 MB of 8 MiB arrays and typed arrays: 3 MiB → +35 MiB.
// Per snapshot node the same runs give 454 B (tsc) to 1533 B (small objects). The cost is V8's
// own: in-process v8.writeHeapSnapshot() of the 100 MB small-object heap took +3.98 GiB too, so
// it is not the transfer. The cheap figures cannot tell a small-object heap from a compiler's,
// so the factors are the worst measured, rounded up: the guard errs high (up to ~7× for tsc).
/** Bytes added to the target's RSS by a snapshot of a nearly empty heap (measured +35 MiB). */
export const FIXED_BYTES = 40 * 1024 * 1024;
/** Extra RSS per byte of ordinary (not large-object) heap space: 32× measured at worst. */
export const BYTES_PER_HEAP_BYTE = 33;
/** Extra RSS per snapshot node, when the last snapshot counted them: 1533 B measured at worst. */
export const BYTES_PER_NODE = 1600;
// Large-object spaces hold objects of at least 128 KiB each (V8's kMaxRegularHeapObjectSize): a
// few nodes, no edges to speak of (measured: 128 MiB of them added nothing visible).
const LARGE_OBJECT_BYTES = 128 * 1024;

/** What a capture is expected to add to the target's RSS, and how that was worked out. */
export interface CaptureEstimate {
  /** Extra bytes of RSS expected at the capture's peak. */
  readonly bytes: number;
  /** Bytes in ordinary heap spaces the estimate started from. */
  readonly heapBytes: number;
  /** Where the figure came from: the heap's size, the node count of the last snapshot, or what the last capture cost. */
  readonly from: 'heap size' | 'last snapshot' | 'last capture';
}

/** What the last snapshot of a target counted, for the next estimate. */
export interface LastCapture {
  /** Its node count (from the snapshot header). */
  readonly nodes: number;
  /** Bytes in ordinary heap spaces when it was taken. */
  readonly heapBytes: number;
  /** What heapy saw of the target's RSS while V8 took it (a local target only). */
  readonly watched?: WatchedCapture | undefined;
}

/** The target's RSS during a capture, as {@link RssWatch} saw it. */
export interface WatchedCapture {
  /** Its peak, bytes. */
  readonly peak: number;
  /** The peak less the RSS when the capture started. */
  readonly extra: number;
}

/**
 * The share of the last capture's cost added to what it left as headroom, in the third bound.
 * Measured by bench/capture-cost.mjs, each heap captured twice: the second capture took the
 * target's RSS to the first one's peak plus 0-5 % of the first one's extra (much of what the
 * first mapped stays mapped, so the second adds far less: 791 MiB after 3.9 GiB for small
 * objects, 241 MiB after 738 MiB for the TypeScript compiler). So the next capture is expected
 * to reach the last one's peak (scaled by the heap's growth) plus 10 % of its extra.
 */
export const REPEAT_HEADROOM = 0.1;

/** Bytes in the ordinary (not large-object) heap spaces, and in the large-object ones. */
function spaceBytes(figures: CaptureFigures): { small: number; large: number } {
  let small = 0;
  let large = 0;
  for (const s of figures.heapSpaceStatistics) {
    if (/lo_space$|large_object/.test(s.space_name)) large += s.space_used_size;
    else small += s.space_used_size;
  }
  // Figures without spaces: the whole heap counts as ordinary (errs high).
  if (figures.heapSpaceStatistics.length === 0) small = figures.memoryUsage.heapUsed;
  return { small, large };
}

/**
 * The extra RSS a heap snapshot is expected to cost the target. With `last`, the last snapshot
 * heapy took of the same target in this run, its node count (scaled by the heap's growth since)
 * gives a second upper bound, and the lower of the two is taken.
 */
export function estimateCaptureCost(figures: CaptureFigures, last?: LastCapture): CaptureEstimate {
  const { small, large } = spaceBytes(figures);
  const bigObjects = Math.ceil(large / LARGE_OBJECT_BYTES) * BYTES_PER_NODE;
  const byHeap = FIXED_BYTES + BYTES_PER_HEAP_BYTE * small + bigObjects;
  let best: CaptureEstimate = { bytes: Math.ceil(byHeap), heapBytes: small, from: 'heap size' };
  if (last && last.heapBytes > 0) {
    const growth = Math.max(1, small / last.heapBytes);
    const byNodes = last.nodes > 0 ? FIXED_BYTES + BYTES_PER_NODE * last.nodes * growth : Infinity;
    if (byNodes < best.bytes) best = { bytes: Math.ceil(byNodes), heapBytes: small, from: 'last snapshot' };
    const w = last.watched;
    if (w && w.extra > 0) {
      const peak = w.peak + (growth - 1) * w.extra;
      const measured = Math.max(0, peak - figures.memoryUsage.rss) + REPEAT_HEADROOM * w.extra * growth;
      if (measured < best.bytes) best = { bytes: Math.ceil(measured), heapBytes: small, from: 'last capture' };
    }
  }
  return best;
}

/**
 * Watches a local target's RSS while V8 takes a snapshot (/proc/PID/status every 50 ms: a read
 * of ~1 KB), for the next estimate's third bound.
 */
export class RssWatch {
  private readonly before: number;
  private peak: number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number | 'self' | null | undefined) {
    this.before = this.read();
    this.peak = this.before;
    this.timer = this.before > 0 ? setInterval(() => (this.peak = Math.max(this.peak, this.read())), 50) : undefined;
    this.timer?.unref();
  }

  private read(): number {
    if (typeof this.pid !== 'number' && this.pid !== 'self') return 0;
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  /** Stops watching; the peak seen, or undefined when the RSS could not be read. */
  stop(): WatchedCapture | undefined {
    if (!this.timer) return undefined;
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, this.read());
    return { peak: this.peak, extra: this.peak - this.before };
  }
}

/**
 * Finds the node count in a snapshot's first chunks: V8 writes `"node_count":N` in the header,
 * before the nodes. Feed it every chunk; it looks at the first 4 KB only.
 */
export class NodeCountScanner {
  private head = '';
  /** The node count, once seen. */
  count: number | undefined;

  /** Looks at the next chunk of the snapshot text. */
  write(chunk: string): void {
    if (this.count !== undefined || this.head.length >= 4096) return;
    this.head += chunk.slice(0, 4096);
    const m = /"node_count":(\d+)/.exec(this.head);
    if (m) this.count = Number(m[1]);
  }
}

/** One bound on the memory the target can still get. */
export interface MemoryBound {
  /** Bytes the target can still add to its RSS under this bound. */
  readonly available: number;
  /** What the bound is, for people: "cgroup /app: limit 4.0 GiB, using 2.5 GiB". */
  readonly source: string;
}

/** Reads a file's text, or undefined when it cannot be read. */
export type TextReader = (path: string) => Promise<string | undefined>;

const readText: TextReader = (path) => readFile(path, 'utf8').catch(() => undefined);

// Limits at or above this are "no limit" (cgroup v1 writes 2^63 rounded down to a page).
const UNLIMITED = 2 ** 60;

function firstNumber(text: string | undefined, pattern: RegExp): number | undefined {
  const m = text === undefined ? null : pattern.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * The memory cgroup of `pid` (its own /proc/PID/cgroup: v1's memory controller, else v2's
 * unified hierarchy) and the tightest limit minus usage on it and its ancestors. Usage leaves out
 * inactive page cache (memory.stat inactive_file), which the kernel reclaims before it kills.
 */
export async function cgroupBound(pid: number | 'self', read: TextReader = readText, root = '/sys/fs/cgroup'): Promise<MemoryBound | undefined> {
  const text = await read(`/proc/${pid}/cgroup`);
  if (text === undefined) return undefined;
  const lines = text.split('\n').map((l) => l.split(':'));
  const v1 = lines.find((f) => f.length >= 3 && (f[1] ?? '').split(',').includes('memory'));
  const v2 = lines.find((f) => f.length >= 3 && f[0] === '0' && f[1] === '');
  const layouts = [
    ...(v1 ? [{ path: v1.slice(2).join(':'), base: `${root}/memory`, limit: 'memory.limit_in_bytes', usage: 'memory.usage_in_bytes', inactive: /^total_inactive_file (\d+)$/m }] : []),
    ...(v2 ? [{ path: v2.slice(2).join(':'), base: root, limit: 'memory.max', usage: 'memory.current', inactive: /^inactive_file (\d+)$/m }] : []),
  ];
  const own = pid === 'self' ? text : await read('/proc/self/cgroup');
  for (const l of layouts) {
    let best: MemoryBound | undefined;
    let found = false;
    // Its own group first, then each ancestor: a parent's limit binds the child too.
    let path = l.path.replace(/\/+$/, '');
    for (;;) {
      let dir = `${l.base}${path}`;
      let limitText = await read(`${dir}/${l.limit}`);
      // A cgroup namespace shows the group as the root of the mount: only trusted when heapy
      // sits in the same group (then the mount root is the target's group).
      if (limitText === undefined && path === l.path.replace(/\/+$/, '') && own?.includes(`:${l.path}\n`)) {
        dir = l.base;
        limitText = await read(`${dir}/${l.limit}`);
        path = '';
      }
      if (limitText !== undefined) {
        found = true;
        const limit = limitText.trim() === 'max' ? Infinity : Number(limitText.trim());
        const usage = Number((await read(`${dir}/${l.usage}`))?.trim() ?? NaN);
        if (limit < UNLIMITED && Number.isFinite(usage)) {
          const inactive = firstNumber(await read(`${dir}/memory.stat`), l.inactive) ?? 0;
          const used = Math.max(0, usage - inactive);
          const available = Math.max(0, limit - used);
          if (!best || available < best.available) {
            best = { available, source: `cgroup ${path || '/'}: limit ${formatBytes(limit)}, using ${formatBytes(used)}` };
          }
        }
      }
      if (path === '' || path === '/') break;
      path = path.slice(0, path.lastIndexOf('/'));
    }
    if (found) return best;
  }
  return undefined;
}

/** The host's MemAvailable (/proc/meminfo). */
export async function hostBound(read: TextReader = readText): Promise<MemoryBound | undefined> {
  const kb = firstNumber(await read('/proc/meminfo'), /^MemAvailable:\s+(\d+) kB$/m);
  return kb === undefined ? undefined : { available: kb * 1024, source: `host MemAvailable ${formatBytes(kb * 1024)}` };
}

/** RLIMIT_AS of `pid` (/proc/PID/limits) minus its mapped address space (VmSize). */
export async function addressSpaceBound(pid: number | 'self', read: TextReader = readText): Promise<MemoryBound | undefined> {
  const limits = await read(`/proc/${pid}/limits`);
  const m = limits === undefined ? null : /^Max address space\s+(\S+)/m.exec(limits);
  if (!m || m[1] === 'unlimited') return undefined;
  const limit = Number(m[1]);
  const size = (firstNumber(await read(`/proc/${pid}/status`), /^VmSize:\s+(\d+) kB$/m) ?? 0) * 1024;
  return { available: Math.max(0, limit - size), source: `RLIMIT_AS ${formatBytes(limit)}, mapped ${formatBytes(size)}` };
}

/** Every bound on what `pid` can still get that can be read here (the tightest decides). */
export async function memoryBounds(pid: number | 'self', read: TextReader = readText): Promise<MemoryBound[]> {
  const all = await Promise.all([cgroupBound(pid, read), hostBound(read), addressSpaceBound(pid, read)]);
  return all.filter((b): b is MemoryBound => b !== undefined);
}

/** How the guard is told to behave for one capture. */
export interface GuardOptions {
  /** Skip the guard (`--force`). */
  readonly force?: boolean | undefined;
  /** The target's RSS plus the estimate must stay under this (`--max-target-rss`). */
  readonly maxTargetRss?: number | undefined;
  /** The target's pid on this machine, whose /proc and cgroup are read; null: not local, only maxTargetRss applies. */
  readonly pid?: number | 'self' | null | undefined;
}

// Kept free of a bound's availability: the estimate errs high already, but page cache, other
// processes and heapy itself move while V8 works (10 %, at least 64 MiB).
function margin(available: number): number {
  return Math.max(64 * 1024 * 1024, available / 10);
}

/** The guard's verdict: the refusal's message, or undefined when the capture fits. */
export function verdict(estimate: CaptureEstimate, rss: number, bounds: readonly MemoryBound[], options: GuardOptions, target: string, alloc: string): string | undefined {
  const need = `a heap snapshot would add about ${formatBytes(estimate.bytes)} to ${target}'s memory (estimated from its ${estimate.from})`;
  const ways = `use '${alloc}' (the sampling profiler, no snapshot) or --force`;
  if (options.maxTargetRss !== undefined) {
    if (rss + estimate.bytes < options.maxTargetRss) return undefined;
    return `${need}, but --max-target-rss ${formatBytes(options.maxTargetRss)} leaves it ${formatBytes(Math.max(0, options.maxTargetRss - rss))} (RSS ${formatBytes(rss)}); ${ways}`;
  }
  let tightest: MemoryBound | undefined;
  for (const b of bounds) if (!tightest || b.available < tightest.available) tightest = b;
  if (!tightest || estimate.bytes + margin(tightest.available) <= tightest.available) return undefined;
  return `${need}, but it can get ${formatBytes(tightest.available)} (${tightest.source}); ${ways}`;
}

/**
 * Refuses a capture that would not fit: throws HeapyError(captureTooCostly) with one line naming
 * both figures and the alternatives. `figures` are the target's, read just before.
 */
export async function guardCapture(figures: CaptureFigures, options: GuardOptions, target: string, last?: LastCapture, read: TextReader = readText): Promise<CaptureEstimate> {
  const estimate = estimateCaptureCost(figures, last);
  if (options.force) return estimate;
  const bounds = options.pid === null || options.pid === undefined ? [] : await memoryBounds(options.pid, read);
  const alloc = `heapy alloc ${typeof options.pid === 'number' ? options.pid : '<target>'}`;
  const refusal = verdict(estimate, figures.memoryUsage.rss, bounds, options, target, alloc);
  if (refusal !== undefined) throw new HeapyError(refusal, ExitCode.captureTooCostly);
  return estimate;
}
