/**
 * `heapy monitor <pid>`: record the memory of a process heapy did not start.
 * RSS from /proc (for descendants too, on request); for a Node process also the V8 figures, GC events
 * and mark() labels, through the inspector: heapy installs a small hook in the target (a
 * PerformanceObserver and a buffer) and drains it every interval with Runtime.evaluate. On stop the
 * hook is removed and the inspector closed again if heapy opened it.
 */
import { attachTarget, type Attachment } from '../attach/connect.js';
import type { CdpSession } from '../attach/cdp.js';
import { ExitCode, HeapyError } from '../errors.js';
import { MonitorWriter, type CaptureRecord } from './format.js';
import { isNodeProcess, readCmdline, readRss, requireProcess } from './proc.js';
import { Recorder, every, makeHeader, type LiveState } from './recorder.js';

/** Options of {@link startMonitor}. */
export interface MonitorOptions {
  pid: number;
  /** Data file (default: a new heapy-monitor-YYYYMMDDHHMMSS.dat in the current directory). */
  output?: string;
  intervalMs: number;
  /** Stop after this many milliseconds (default: until stopped or the process exits). */
  durationMs?: number;
  includeChildren: boolean;
  /** Do not use the inspector even for a Node process (RSS only). */
  rssOnly?: boolean;
  onTick?: (state: LiveState) => void;
  /** One capture when a threshold is first crossed (needs the inspector). */
  trigger?: MonitorTrigger;
}

/**
 * `heapy monitor --snapshot-at`: a capture taken once, on the monitor's own inspector session,
 * the first time the target's RSS (read from /proc every tick) or its heapUsed (every drain)
 * reaches `bytes`. Recording goes on meanwhile: RSS ticks keep coming while V8 writes the
 * snapshot (they show what the capture costs); heap figures resume when the target runs again.
 * The capture itself is the caller's (the monitor floor knows nothing of snapshots).
 */
export interface MonitorTrigger {
  readonly metric: 'rss' | 'heap';
  readonly bytes: number;
  /** Takes the capture (`dataFile`: the recording's path, to name the capture's file after); resolves to what it wrote. */
  readonly capture: (session: CdpSession, dataFile: string) => Promise<TriggeredCapture>;
  /** Told when the threshold is crossed (`value` is the figure that crossed it). */
  readonly onCrossed?: (value: number, t: number) => void;
  /** Told when the capture is written, or failed (its record). */
  readonly onCaptured?: (record: CaptureRecord) => void;
}

/** What a triggered capture wrote. */
export interface TriggeredCapture {
  readonly kind: 'heapsnapshot' | 'heapprofile';
  readonly file: string;
  readonly bytes: number;
  /** Why a profile was taken instead of a snapshot. */
  readonly note?: string;
}

/** Why a monitoring session ended. */
export type MonitorEnd = 'duration' | 'stopped' | 'exited' | 'connection-lost';

/** A monitoring session in progress. */
export interface MonitorSession {
  /** True when V8 figures come through the inspector; false for RSS only. */
  readonly v8: boolean;
  /** 'pid 123 (inspector 127.0.0.1:9229, opened by heapy)' or 'pid 123 (RSS only: not a Node process)'. */
  readonly description: string;
  /** The data file being written. */
  readonly file: string;
  /** Ends the session (idempotent). */
  stop(): void;
  /** Resolves when the file is closed and the target left as found. */
  done: Promise<{ reason: MonitorEnd; file: string; inspectorClosed: boolean }>;
}

// Installed in the target. It evaluates to 'ok'. drain() returns one JSON text (returnByValue of a
// string is cheaper than of a nested object) and empties the buffers, which are capped at 10,000
// entries each so a target that heapy stops draining cannot grow without bound.
const HOOK_EXPRESSION = `(() => {
  const key = Symbol.for('heapy.probe');
  const g = globalThis;
  const old = g[key];
  if (old && old.heapyMonitor) old.stop();
  const prev = g[key];
  const req = (m) => process.getBuiltinModule?.(m) ?? require(m);
  const perf = req('perf_hooks');
  const v8 = req('v8');
  const kinds = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weakcb' };
  let gcs = [];
  let marks = [];
  const obs = new perf.PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (gcs.length < 10000) gcs.push([perf.performance.timeOrigin + e.startTime, kinds[e.detail?.kind] ?? 'other', e.duration]);
  });
  try { obs.observe({ entryTypes: ['gc'] }); } catch {}
  const hook = {
    heapyMonitor: true,
    mark(label) { if (marks.length < 10000) marks.push([Date.now(), String(label)]); },
    drain() {
      const mu = process.memoryUsage();
      const spaces = {};
      for (const s of v8.getHeapSpaceStatistics()) if (s.space_size > 0) spaces[s.space_name] = [s.space_size, s.space_used_size];
      const out = JSON.stringify({ ts: Date.now(), heapUsed: mu.heapUsed, heapTotal: mu.heapTotal, external: mu.external, arrayBuffers: mu.arrayBuffers, spaces, gcs, marks });
      gcs = [];
      marks = [];
      return out;
    },
    stop() {
      obs.disconnect();
      if (g[key] === hook) {
        if (prev === undefined) delete g[key];
        else g[key] = prev;
      }
    },
  };
  Object.defineProperty(g, key, { value: hook, configurable: true, writable: true, enumerable: false });
  return 'ok';
})()`;

const DRAIN_EXPRESSION = `globalThis[Symbol.for('heapy.probe')]?.drain?.() ?? ''`;
const STOP_EXPRESSION = `globalThis[Symbol.for('heapy.probe')]?.heapyMonitor ? (globalThis[Symbol.for('heapy.probe')].stop(), 'stopped') : 'absent'`;

interface Drained {
  ts: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, [number, number]>;
  gcs: Array<[number, string, number]>;
  marks: Array<[number, string]>;
}

interface EvalResult {
  result: { value?: unknown };
  exceptionDetails?: { text?: string; exception?: { description?: string } };
}

/** Starts monitoring `opts.pid`. */
export async function startMonitor(opts: MonitorOptions): Promise<MonitorSession> {
  const pid = opts.pid;
  requireProcess(pid);
  const node = !opts.rssOnly && isNodeProcess(pid);
  if (opts.trigger && !node) {
    throw new HeapyError(`pid ${pid}: --snapshot-at needs the inspector of a Node.js process${opts.rssOnly ? ' (not --rss-only)' : ''}`, ExitCode.usage);
  }
  let att: Attachment | undefined;
  if (node) {
    att = await attachTarget(String(pid));
    try {
      const r = await att.client.send<EvalResult>('Runtime.evaluate', { expression: HOOK_EXPRESSION, includeCommandLineAPI: true, returnByValue: true, silent: true });
      if (r.exceptionDetails || r.result.value !== 'ok') {
        throw new HeapyError(`pid ${pid}: could not install the monitor hook (${r.exceptionDetails?.exception?.description ?? r.exceptionDetails?.text ?? 'no answer'})`, ExitCode.internal);
      }
    } catch (err) {
      await att.detach();
      throw err;
    }
  }
  const start = Date.now();
  let writer: MonitorWriter;
  try {
    writer = MonitorWriter.open(
      opts.output,
      process.cwd(),
      makeHeader({ mode: 'monitor', start, command: readCmdline(pid) ?? [], pid, interval: opts.intervalMs / 1000, includeChildren: opts.includeChildren }),
    );
  } catch (err) {
    await att?.detach();
    throw err;
  }
  const recorder = new Recorder({ writer, start, rootPid: pid, includeChildren: opts.includeChildren, onTick: opts.onTick });
  recorder.seen(pid);

  let finish!: (reason: MonitorEnd) => void;
  const ended = new Promise<MonitorEnd>((resolve) => (finish = resolve));
  let capturing: Promise<void> | undefined;
  let busy = false; // the target is writing the capture: it answers nothing until then
  const trigger = opts.trigger;
  const cross = (value: number): void => {
    if (!trigger || capturing || !att || value < trigger.bytes) return;
    const now = Date.now();
    const t = recorder.tOf(now);
    trigger.onCrossed?.(value, t);
    const base = { type: 'capture', t, pid, metric: trigger.metric, threshold: trigger.bytes, value } as const;
    const session = att.session;
    busy = true;
    capturing = trigger
      .capture(session, writer.path)
      .then(
        (c): CaptureRecord => ({ ...base, kind: c.kind, file: c.file, bytes: c.bytes, done: recorder.tOf(Date.now()), ...(c.note !== undefined ? { note: c.note } : {}) }),
        (err: unknown): CaptureRecord => ({ ...base, kind: 'failed', done: recorder.tOf(Date.now()), note: err instanceof Error ? err.message : String(err) }),
      )
      .then((rec) => {
        busy = false;
        recorder.capture(rec);
        trigger.onCaptured?.(rec);
      });
  };
  let polling = false;
  const poll = async (): Promise<void> => {
    // A target in a long GC answers late; skip ticks rather than queue evaluations behind it.
    if (!att || polling || busy || att.client.closed) return;
    polling = true;
    try {
      const r = await att.client.send<EvalResult>('Runtime.evaluate', { expression: DRAIN_EXPRESSION, returnByValue: true, silent: true });
      const text = r.result.value;
      if (typeof text === 'string' && text !== '') {
        const d = JSON.parse(text) as Drained;
        for (const [ts, kind, duration] of d.gcs) recorder.gc(pid, ts, kind, duration);
        recorder.heap(pid, d);
        for (const [ts, label] of d.marks) recorder.mark(pid, ts, label);
        if (trigger?.metric === 'heap') cross(d.heapUsed);
      }
    } catch {
      // The session closing is handled below; a failed evaluation just loses one sample.
    } finally {
      polling = false;
    }
  };
  const stopTicks = every(opts.intervalMs, () => {
    const live = recorder.tick();
    if (live.processes === 0 || requireGone(pid)) {
      finish('exited');
      return;
    }
    if (trigger?.metric === 'rss') cross((opts.includeChildren ? readRss(pid) : live.rss) ?? 0);
    void poll();
  });
  if (att) {
    att.client.onClose(() => finish(requireGone(pid) ? 'exited' : 'connection-lost'));
    // A Node process that ends while a debugger is connected waits for it to disconnect (it prints
    // "Waiting for the debugger to disconnect..."): take the last figures and let it go at once.
    att.client.on('NodeRuntime.waitingForDisconnect', () => finish('exited'));
    await att.client.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => {});
  }
  const timer = opts.durationMs !== undefined ? setTimeout(() => finish('duration'), opts.durationMs) : undefined;

  const done = (async () => {
    const reason = await ended;
    // A capture under way is what the user asked for: let it finish (its own idle timeout bounds it).
    if (capturing) await capturing;
    stopTicks();
    if (timer) clearTimeout(timer);
    let inspectorClosed = true;
    if (att) {
      // One last drain so GC events and marks up to the end are kept, then leave the target as found.
      if (!att.client.closed) {
        await poll();
        await att.client.send('Runtime.evaluate', { expression: STOP_EXPRESSION, returnByValue: true, silent: true }, { timeoutMs: 2000 }).catch(() => {});
      }
      inspectorClosed = await att.detach().catch(() => false);
    }
    if (reason === 'exited') recorder.exited(pid);
    recorder.end();
    return { reason, file: writer.path, inspectorClosed };
  })();

  return {
    v8: att !== undefined,
    file: writer.path,
    description: att ? att.description : `pid ${pid} (RSS only${opts.rssOnly ? '' : ': not a Node.js process'})`,
    stop: () => finish('stopped'),
    done,
  };
}

function requireGone(pid: number): boolean {
  try {
    requireProcess(pid);
    return false;
  } catch {
    return true;
  }
}
