/**
 * The recorder: turns /proc readings and probe/inspector messages into data-file records, and keeps
 * the small live state (current, peak, recent history) that the terminal view draws.
 * It knows nothing about how the figures were obtained (spawned command or attached pid).
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { MonitorWriter, roundT, type CaptureRecord, type HeapRecord, type MonitorHeader } from './format.js';
import { DescendantTracker, readCmdline, readRss, readStat } from './proc.js';

/** What the live terminal view shows after each tick. */
export interface LiveState {
  /** Seconds since the start. */
  t: number;
  /** Processes sampled in this tick. */
  processes: number;
  /** Sum of RSS over the sampled processes, bytes. */
  rss: number;
  /** Largest `rss` so far, bytes, and when (seconds). */
  peakRss: number;
  peakT: number;
  /** Sum of the latest heapUsed over Node processes that report it, bytes; undefined when none does. */
  heapUsed: number | undefined;
  /** Recent `rss` values, oldest first (at most {@link LIVE_HISTORY} of them). */
  history: number[];
}

/** How many ticks of history the live view keeps (2 minutes at the default 100 ms). */
export const LIVE_HISTORY = 1200;

/** V8 figures as the probe or the inspector report them; `ts` is epoch milliseconds. */
export interface HeapReport {
  ts: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  spaces?: Record<string, [number, number]>;
}

/** Options of {@link Recorder}. */
export interface RecorderOptions {
  writer: MonitorWriter;
  /** Epoch milliseconds the header's `start` holds. */
  start: number;
  rootPid: number;
  includeChildren: boolean;
  /** Called after every tick with the live state. */
  onTick?: (state: LiveState) => void;
  /** Clock, injectable for tests; epoch milliseconds. */
  now?: () => number;
}

/** Builds the header of a new recording. */
export function makeHeader(fields: Omit<MonitorHeader, 'heapy' | 'host' | 'cwd'> & { cwd?: string }): MonitorHeader {
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    // Running from an unusual layout: the version is informative only.
  }
  return { ...fields, cwd: fields.cwd ?? process.cwd(), heapy: version, host: hostname() };
}

interface Tracked {
  lastHeap: HeapRecord | undefined;
  exited: boolean;
  /** Start time from /proc/<pid>/stat, to tell a reused pid from the process that had it. */
  startTicks: number;
}

/** Collects samples of one recording into its data file. */
export class Recorder {
  private readonly opts: RecorderOptions;
  private readonly now: () => number;
  private readonly tracked = new Map<number, Tracked>();
  private readonly live: LiveState = { t: 0, processes: 0, rss: 0, peakRss: 0, peakT: 0, heapUsed: undefined, history: [] };
  private ended = false;
  private descendants: DescendantTracker | undefined;

  constructor(opts: RecorderOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** Seconds since the start for an epoch-millisecond time. */
  tOf(ts: number): number {
    return roundT(Math.max(0, ts - this.opts.start) / 1000);
  }

  /** Whether messages from `pid` belong in this recording. */
  accepts(pid: number): boolean {
    return pid === this.opts.rootPid || this.opts.includeChildren;
  }

  /**
   * Registers a process (first sight); `argv` when the caller already knows it. A pid already seen
   * stays the same process, even after its exit record (late probe lines of an ended process must
   * not revive it), unless /proc shows a different start time: then the pid was reused.
   */
  seen(pid: number, ppid?: number, argv?: string[]): void {
    const existing = this.tracked.get(pid);
    if (existing && !existing.exited) return;
    const st = readStat(pid);
    if (existing && (!st || st.startTicks === existing.startTicks)) return;
    this.tracked.set(pid, { lastHeap: undefined, exited: false, startTicks: st?.startTicks ?? -1 });
    const cmd = (argv ?? readCmdline(pid) ?? []).join(' ');
    this.opts.writer.add({ type: 'proc', t: this.tOf(this.now()), pid, ppid: ppid ?? st?.ppid ?? 0, cmd });
  }

  /** Records V8 figures of `pid`. */
  heap(pid: number, r: HeapReport): void {
    if (this.ended) return;
    this.seen(pid);
    const rec: HeapRecord = {
      type: 'heap',
      t: this.tOf(r.ts),
      pid,
      heapUsed: r.heapUsed,
      heapTotal: r.heapTotal,
      external: r.external,
      arrayBuffers: r.arrayBuffers,
    };
    if (r.spaces) rec.spaces = r.spaces;
    const tr = this.tracked.get(pid);
    if (tr) tr.lastHeap = rec;
    this.opts.writer.add(rec);
  }

  /** Records one garbage collection of `pid` that started at epoch-ms `ts` and lasted `duration` ms. */
  gc(pid: number, ts: number, kind: string, duration: number): void {
    if (this.ended) return;
    this.opts.writer.add({ type: 'gc', t: this.tOf(ts), pid, kind, duration: Math.round(duration * 1000) / 1000 });
  }

  /** Records a user mark. */
  mark(pid: number, ts: number, label: string): void {
    if (this.ended) return;
    this.opts.writer.add({ type: 'mark', t: this.tOf(ts), pid, label });
    this.opts.writer.flush();
  }

  /** Records a triggered capture (written at once: a reader tailing the file learns the file's name). */
  capture(rec: CaptureRecord): void {
    if (this.ended) return;
    this.opts.writer.add(rec);
    this.opts.writer.flush();
  }

  /** Records that `pid` ended (code and signal when known). */
  exited(pid: number, code: number | null = null, signal: string | null = null): void {
    const tr = this.tracked.get(pid);
    if (!tr || tr.exited || this.ended) return;
    tr.exited = true;
    this.opts.writer.add({ type: 'exit', t: this.tOf(this.now()), pid, code, signal });
  }

  /** One sampling tick: RSS of the root (and descendants), exits of vanished processes, then a flush. */
  tick(): LiveState {
    if (this.ended) return this.live;
    const t = this.tOf(this.now());
    const pids = [this.opts.rootPid];
    if (this.opts.includeChildren) pids.push(...(this.descendants ??= new DescendantTracker(this.opts.rootPid)).list());
    let sum = 0;
    let count = 0;
    const present = new Set<number>();
    for (const pid of pids) {
      const rss = readRss(pid);
      if (rss === undefined) continue;
      present.add(pid);
      this.seen(pid);
      this.opts.writer.add({ type: 'rss', t, pid, rss });
      sum += rss;
      count++;
    }
    // A tracked process missing from this tick has exited (or left the tree).
    for (const [pid, tr] of this.tracked) if (!tr.exited && !present.has(pid) && pid !== this.opts.rootPid) this.exited(pid);
    this.opts.writer.flush();
    const live = this.live;
    live.t = t;
    live.processes = count;
    if (count > 0) {
      live.rss = sum;
      if (sum > live.peakRss) {
        live.peakRss = sum;
        live.peakT = t;
      }
      live.history.push(sum);
      if (live.history.length > LIVE_HISTORY) live.history.splice(0, live.history.length - LIVE_HISTORY);
    }
    let heap: number | undefined;
    for (const tr of this.tracked.values()) if (!tr.exited && tr.lastHeap) heap = (heap ?? 0) + tr.lastHeap.heapUsed;
    live.heapUsed = heap;
    this.opts.onTick?.(live);
    return live;
  }

  /** Writes the end record and closes the file. */
  end(): void {
    if (this.ended) return;
    // Processes that ended after the last tick (workers that exit just before their primary) still
    // get their exit record; ones that are still running are left alone.
    for (const [pid, tr] of this.tracked) if (!tr.exited && readRss(pid) === undefined) this.exited(pid);
    this.opts.writer.add({ type: 'end', t: this.tOf(this.now()) });
    this.ended = true;
    this.opts.writer.close();
  }
}

/**
 * Calls `fn` every `intervalMs`, on a schedule that does not drift (each tick is planned from the
 * start, not from the previous tick's end). Returns a stop function.
 */
export function every(intervalMs: number, fn: () => void): () => void {
  const t0 = Date.now();
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const step = (): void => {
    if (stopped) return;
    fn();
    n++;
    const next = t0 + n * intervalMs;
    // If a tick took longer than the interval, skip the missed slots instead of bursting.
    const now = Date.now();
    if (next < now) n = Math.ceil((now - t0) / intervalMs);
    timer = setTimeout(step, Math.max(0, t0 + n * intervalMs - now));
  };
  timer = setTimeout(step, 0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
