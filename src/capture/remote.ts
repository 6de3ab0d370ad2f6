/**
 * Heap snapshots and heap facts from a target over CDP: a snapshot streamed chunk by chunk into a
 * sink (the engine's push parser, or a file), the setref reference id, GC, memory figures.
 * Nothing here holds a whole snapshot as text: each ~100 KB chunk is consumed as it arrives.
 */
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, HeapyError, writeFailedError } from '../errors.js';
import { HeapSnapshot, SnapshotParser, type AnalysisLevel, type ProgressCallback } from '../snapshot/index.js';
import { BIG_FILE_BYTES } from '../snapshot/thresholds.js';
import type { CdpSession } from '../attach/cdp.js';
import { formatDuration } from '../util/format.js';
import { ReplacingFile, writeFileReplacing } from '../util/safe-write.js';
import { LINE_ENDS_WARMUP } from './line-ends.js';
import { MaxIdScanner } from './maxid.js';
import { FIGURES_EXPRESSION, guardCapture, NodeCountScanner, RssWatch, type CaptureEstimate, type WatchedCapture, type CaptureFigures, type GuardOptions, type LastCapture } from './cost.js';
import { canWriteDirect, DirectUnavailable, followTargetWrite, inMemoryDir } from './direct.js';

/** Options for streaming a snapshot. */
export interface StreamOptions {
  /** Ask the target to collect garbage first (HeapProfiler.collectGarbage). */
  readonly gc?: boolean;
  /** Phases: 'gc', 'snapshot' (target walks its heap: done/total objects), 'transfer' (bytes, total 0), then the parser's. */
  readonly onProgress?: ProgressCallback | undefined;
  /** Fail with targetTimeout when the target sends nothing for this long (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Stops waiting at once when aborted (the capture fails with ExitCode.cancelled). */
  readonly signal?: AbortSignal | undefined;
  /** The cost guard: the target's pid (null: not on this machine), --force, --max-target-rss. */
  readonly guard?: GuardOptions | undefined;
  /** How much takeSnapshot analyses (see AnalysisLevel); default 'full'. */
  readonly level?: AnalysisLevel | undefined;
}

/** What the last snapshot taken on a session counted: the cost guard's second estimate. */
const lastCaptures = new WeakMap<CdpSession, LastCapture>();

/**
 * A snapshot the target is still writing after heapy stopped waiting for it (cancelled): V8 runs
 * inspector commands one at a time, so its remaining chunks would reach the next capture's sink.
 * The next capture on the session waits for it to end first.
 */
const unfinished = new WeakMap<CdpSession, Promise<unknown>>();


// V8 pauses the target while it serialises; a 1.1 GB heap took 54 s to write here, but chunks
// and progress events keep arriving throughout. 60 s of silence means the target is gone or stopped.
const DEFAULT_IDLE_MS = 60_000;

/**
 * Asks the target for a heap snapshot and hands every chunk to `sink` in order, as it arrives.
 * When `sink` returns a promise, reading from the socket pauses until it settles (bounded memory
 * when the sink is a disk). Resolves with the number of bytes (UTF-16 code units) streamed.
 */
export async function streamSnapshot(
  session: CdpSession,
  sink: (chunk: Buffer | string) => void | Promise<void>,
  options: StreamOptions = {},
): Promise<number> {
  const estimate = await prepare(session, options);
  return overCdp(session, sink, options, estimate);
}

/** What every capture does first: wait for one the target is still writing, GC, the cost guard. */
async function prepare(session: CdpSession, options: StreamOptions): Promise<CaptureEstimate | undefined> {
  const onProgress = options.onProgress;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  const earlier = unfinished.get(session);
  if (earlier) {
    onProgress?.('earlier snapshot', 0, 0);
    await earlier.catch(() => {});
  }
  if (options.signal?.aborted) throw cancelled(session);
  if (options.gc) {
    onProgress?.('gc', 0, 1);
    await session.send('HeapProfiler.collectGarbage', {}, { timeoutMs: idleMs });
    onProgress?.('gc', 1, 1);
  }
  // After the GC, which leaves fewer objects to pay for; before V8 is asked for anything more.
  const guard = options.guard ?? {};
  const target = typeof guard.pid === 'number' ? `pid ${guard.pid}` : session.label;
  // --force skips the guard altogether, so that a target whose figures cannot be read is still captured.
  return guard.force ? undefined : await guardCapture(await captureFigures(session), guard, target, lastCaptures.get(session));
}

/** The CDP transport: HeapProfiler.takeHeapSnapshot, its chunks handed to `sink` in order. */
async function overCdp(session: CdpSession, sink: (chunk: Buffer | string) => void | Promise<void>, options: StreamOptions, estimate: CaptureEstimate | undefined): Promise<number> {
  const onProgress = options.onProgress;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  let bytes = 0;
  const counter = new NodeCountScanner();
  let sinkError: unknown;
  let chain: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let lastActivity = Date.now();
  let idleReject: ((e: Error) => void) | undefined;
  const idle = new Promise<never>((_, reject) => {
    idleReject = reject;
  });
  idle.catch(() => {});
  const onAbort = (): void => idleReject?.(cancelled(session));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const watchdog = setInterval(() => {
    if (Date.now() - lastActivity > idleMs) {
      idleReject?.(new HeapyError(`${session.label}: the target sent no snapshot data for ${formatDuration(idleMs)} (stopped or stuck?)`, ExitCode.targetTimeout));
    }
  }, Math.min(1000, idleMs));
  let watch = new RssWatch(null);
  const offChunk = session.on('HeapProfiler.addHeapSnapshotChunk', (p) => {
    lastActivity = Date.now();
    // A Buffer from the main connection's fast path (cdp.ts), a string through a worker's tunnel.
    const chunk = p.chunk;
    if ((typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) || sinkError !== undefined) return;
    bytes += chunk.length;
    if (counter.count === undefined) counter.write(typeof chunk === 'string' ? chunk : chunk.toString('latin1', 0, 4096));
    onProgress?.('transfer', bytes, 0);
    // Every chunk goes through one promise chain, so the sink sees chunks strictly in order and
    // one at a time even when it is asynchronous (concurrent fs writes at the "current position"
    // can land out of order: the thread pool runs them in parallel).
    inFlight++;
    // Past 8 waiting chunks (~800 KB), stop reading the socket: the kernel's TCP window, not
    // heapy's memory, then absorbs the backlog, and the target waits for us.
    if (inFlight === 8) session.pause();
    chain = chain.then(async () => {
      if (sinkError !== undefined) return;
      try {
        await sink(chunk);
      } catch (err) {
        sinkError = err;
      }
      lastActivity = Date.now(); // a slow disk is not a silent target
      inFlight--;
      if (inFlight === 4 || sinkError !== undefined) session.resume();
    });
  });
  const offProgress = session.on('HeapProfiler.reportHeapSnapshotProgress', (p) => {
    lastActivity = Date.now();
    onProgress?.('snapshot', Number(p.done ?? 0), Number(p.total ?? 0));
  });
  try {
    // Progress events are asked for even when nobody shows them: during the target's heap walk
    // (tens of seconds for a large heap) they are the only sign of life the idle watchdog sees.
    // They cost the target time (measured here on a 20 MB heap: ~1 s of 5 s, median of 3).
    for (const method of LINE_ENDS_WARMUP) await Promise.race([session.send(method, {}, { timeoutMs: idleMs }), idle]);
    watch = new RssWatch(options.guard?.pid);
    const taking = session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: true }, { timeoutMs: 0 });
    try {
      await Promise.race([taking, idle]);
    } catch (err) {
      // Given up (cancelled, or silent too long): the target may still be writing it.
      const done = taking.catch(() => {}).finally(() => unfinished.delete(session));
      unfinished.set(session, done);
      throw err;
    }
    await chain;
  } finally {
    remember(session, estimate, counter.count, watch.stop());
    options.signal?.removeEventListener('abort', onAbort);
    clearInterval(watchdog);
    offChunk();
    offProgress();
  }
  if (sinkError !== undefined) throw sinkError;
  return bytes;
}

function cancelled(session: CdpSession): HeapyError {
  return new HeapyError(`${session.label}: capture cancelled; the target may still be finishing the snapshot V8 started (heapy discards it)`, ExitCode.cancelled);
}

/**
 * Streams a snapshot straight into the engine's push parser and analyses it. A target on this
 * machine writes it into a private temporary file that heapy parses as V8 writes it, removed as
 * soon as V8 has opened it (direct.ts); any other target sends it over CDP.
 */
export async function takeSnapshot(session: CdpSession, options: StreamOptions = {}): Promise<HeapSnapshot> {
  // A heap whose ordinary spaces hold BIG_FILE_BYTES or more makes a snapshot at least that big
  // (measured 1.45 bytes of snapshot per byte of heapUsed for attach-ballast.mjs): analysed by two
  // threads, as a file that size is (snapshot/thresholds.ts). The arrays must be shared from the start.
  let parallel = false;
  let parser: SnapshotParser | undefined;
  const make = (): SnapshotParser => new SnapshotParser({ source: session.label, onProgress: options.onProgress, sharedArrays: parallel });
  await streamInto(session, (piece) => (parser ??= make()).write(piece), options, () => parser?.header?.nodeCount, (estimate) => (parallel = estimate.heapBytes >= BIG_FILE_BYTES));
  // Nothing came: the parser's own error for an empty input.
  const raw = (parser ??= make()).finish();
  const analyzeOptions = { onProgress: options.onProgress, level: options.level };
  return parallel ? HeapSnapshot.analyzeParallel(raw, analyzeOptions) : HeapSnapshot.analyze(raw, analyzeOptions);
}

/**
 * Hands a fresh snapshot to `write` piece by piece, in order: written by a target on this machine
 * into a private temporary file heapy reads as V8 writes it, unlinked as soon as V8 has it open so
 * that nothing is left behind whatever happens to heapy (direct.ts); from any other over CDP.
 * `nodes` tells the node count once the header has passed.
 */
async function streamInto(
  session: CdpSession,
  write: (piece: Buffer | string) => void,
  options: StreamOptions,
  nodes: () => number | undefined,
  onEstimate?: (estimate: CaptureEstimate) => void,
): Promise<void> {
  const estimate = await prepare(session, options);
  if (estimate) onEstimate?.(estimate);
  const pid = options.guard?.pid;
  // A $TMPDIR heapy cannot write to only costs the fast path: CDP needs no file. Nor does one in
  // memory: the target would hold its whole snapshot in RAM a second time.
  const file = !inMemoryDir(tmpdir()) && (await canWriteDirect(pid)) ? tempFileOrNull(join(tmpdir(), `heapy-capture-${String(pid)}.heapsnapshot`)) : null;
  if (file) {
    try {
      // Nothing reaches `write` before V8 has written something, so an undefined (the target
      // could not open the file) leaves `write` untouched for the CDP path.
      const done = await viaTargetFile(session, file.tempPath, write, options, () => file.abort());
      if (done !== undefined) {
        remember(session, estimate, nodes(), done.extra);
        return;
      }
    } finally {
      file.abort();
    }
  }
  await overCdp(session, write, options, estimate);
}

/**
 * Streams a snapshot to `path`: written to a new private temporary file beside it (mode 0600, as
 * V8's own snapshots; see util/safe-write.ts) and renamed over `path` only when complete; on any
 * failure the temporary file is removed. A target on this machine writes that file itself
 * (direct.ts); any other sends it over CDP, heapy writing each chunk as it arrives. Returns bytes written.
 */
export async function snapshotToFile(session: CdpSession, path: string, options: StreamOptions = {}): Promise<number> {
  let file: ReplacingFile;
  try {
    file = ReplacingFile.create(path);
  } catch (err) {
    throw writeFailedError(path, err);
  }
  let written = 0;
  try {
    const estimate = await prepare(session, options);
    // A file in memory (tmpfs) written by the target is charged to the target's memory cgroup:
    // heapy writes it then, over CDP.
    const direct = !inMemoryDir(dirname(file.tempPath)) && (await canWriteDirect(options.guard?.pid)) ? await viaTargetFile(session, file.tempPath, null, options) : undefined;
    if (direct !== undefined) {
      const { nodes, complete } = await readEnds(file.tempPath);
      if (!complete) throw new HeapyError(`${path}: the target's snapshot ends early (disk full?); nothing was written`, ExitCode.writeFailed);
      remember(session, estimate, nodes, direct.extra);
      written = direct.bytes;
    } else {
      await overCdp(
        session,
        async (chunk) => {
          // Snapshot text is ASCII (V8 escapes everything else), so latin1 is exact and cheapest.
          const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
          try {
            await file.writeAsync(buf);
          } catch (err) {
            throw writeFailedError(path, err, 'write failed');
          }
          written += buf.length;
        },
        options,
        estimate,
      );
    }
    try {
      file.commit();
    } catch (err) {
      throw writeFailedError(path, err);
    }
  } catch (err) {
    file.abort();
    throw err;
  }
  return written;
}

/**
 * The direct transport: the line-ends warm-up, then the target writes `path` while `sink` reads
 * it. Undefined when the target could not open the file (nothing was written: take CDP).
 */
async function viaTargetFile(
  session: CdpSession,
  path: string,
  sink: ((piece: Buffer) => void) | null,
  options: StreamOptions,
  onStarted?: () => void,
): Promise<{ bytes: number; extra: WatchedCapture | undefined } | undefined> {
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  const pid = options.guard?.pid;
  if (typeof pid !== 'number') return undefined;
  for (const method of LINE_ENDS_WARMUP) await session.send(method, {}, { timeoutMs: idleMs });
  const watch = new RssWatch(pid);
  try {
    // Absolute: the target resolves a relative path against its own working directory.
    const bytes = await followTargetWrite(session, resolve(path), sink, {
      pid,
      idleMs,
      signal: options.signal,
      cancelled: () => cancelled(session),
      onWalk: () => options.onProgress?.('snapshot', 0, 0),
      onBytes: (bytes) => options.onProgress?.('transfer', bytes, 0),
      ...(onStarted ? { onStarted } : {}),
      onGiveUp: (writing) => {
        const done = writing.finally(() => unfinished.delete(session));
        unfinished.set(session, done);
      },
    });
    return { bytes, extra: watch.stop() };
  } catch (err) {
    watch.stop();
    if (err instanceof DirectUnavailable) return undefined;
    throw err;
  }
}

function tempFileOrNull(path: string): ReplacingFile | null {
  try {
    return ReplacingFile.create(path);
  } catch {
    return null;
  }
}

/** Keeps what this snapshot counted for the next estimate of the guard. */
function remember(session: CdpSession, estimate: CaptureEstimate | undefined, nodes: number | undefined, watched?: WatchedCapture): void {
  if (nodes !== undefined && estimate) lastCaptures.set(session, { nodes, heapBytes: estimate.heapBytes, watched });
}

/** The node count in a snapshot file's header, and whether the file ends as a snapshot does ("]}"). */
async function readEnds(path: string): Promise<{ nodes: number | undefined; complete: boolean }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(4096, size));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(64, size));
    await fh.read(tail, 0, tail.length, size - tail.length);
    const counter = new NodeCountScanner();
    counter.write(head.toString('latin1'));
    return { nodes: counter.count, complete: /\]\s*\}\s*$/.test(tail.toString('latin1')) };
  } finally {
    await fh.close();
  }
}

/**
 * The setref point: the largest V8 object id in a snapshot taken now. A snapshot gives every live
 * object an id and ids only grow, so objects created later are exactly those with larger ids.
 * Only the ids are decoded (constant memory); the graph is not built.
 * Ids hold only while this inspector session lasts: when a session ends, V8's heap profiler agent
 * clears its id map (measured on Node 20: an object's id became 0, then a new number, after a
 * reconnect), so a reference point cannot outlive the attach session that took it.
 */
export async function referenceId(session: CdpSession, options: StreamOptions = {}): Promise<number> {
  const scanner = new MaxIdScanner(session.label);
  await streamInto(session, (piece) => scanner.write(typeof piece === 'string' ? piece : piece.toString('latin1')), options, () => undefined);
  return scanner.finish();
}

/**
 * Records a sampling heap profile (HeapProfiler.startSampling) for `durationMs` and writes it to
 * `path` as DevTools' .heapprofile JSON, safely (util/safe-write.ts). It costs the target next to
 * nothing (a sample every `samplingInterval` bytes allocated, default 32 KiB) and sees only what
 * is allocated while it runs, not the heap that is there. Returns the bytes written.
 */
export async function samplingProfileToFile(session: CdpSession, path: string, durationMs: number, samplingInterval = 32768): Promise<number> {
  // V8 has one sampler per isolate, and getSamplingProfile answers from any session while it runs:
  // one that answers belongs to another tool, which a start here would take over and the stop
  // below end. Leave it alone (as `leaks --pid` does).
  const busy = await session
    .send('HeapProfiler.getSamplingProfile', {}, { timeoutMs: 30_000 })
    .then(() => true)
    .catch(() => false);
  if (busy) throw new HeapyError('the target already runs a sampling heap profiler (another tool), which heapy left alone', ExitCode.captureTooCostly);
  await session.send('HeapProfiler.startSampling', { samplingInterval });
  let profile: unknown;
  try {
    await new Promise((r) => setTimeout(r, durationMs));
  } finally {
    profile = (await session.send<{ profile: unknown }>('HeapProfiler.stopSampling', {}, { timeoutMs: 60_000 })).profile;
  }
  const text = JSON.stringify(profile);
  try {
    writeFileReplacing(path, text);
  } catch (err) {
    throw writeFailedError(path, err);
  }
  return Buffer.byteLength(text);
}

/** Asks the target for a full garbage collection. */
export async function collectGarbage(session: CdpSession): Promise<void> {
  await session.send('HeapProfiler.collectGarbage', {}, { timeoutMs: 60_000 });
}

/** Memory figures read in the target (process.memoryUsage, v8.getHeapStatistics, active resources). */
export interface TargetMemory {
  readonly memoryUsage: Record<string, number>;
  readonly heapStatistics: Record<string, number>;
  /** Resource type → count, from process.getActiveResourcesInfo(). */
  readonly activeResources: Record<string, number>;
}

// In a worker `process.memoryUsage()` still reports the whole process; heap statistics are the isolate's.
const MEMORY_EXPRESSION = `(() => {
  const v8 = process.getBuiltinModule?.('v8') ?? require('v8');
  const counts = {};
  for (const r of process.getActiveResourcesInfo?.() ?? []) counts[r] = (counts[r] ?? 0) + 1;
  return { memoryUsage: process.memoryUsage(), heapStatistics: v8.getHeapStatistics(), activeResources: counts };
})()`;

/** Reads the cost guard's figures in the target (cheap: no heap walk). */
export async function captureFigures(session: CdpSession): Promise<CaptureFigures> {
  return evaluateValue<CaptureFigures>(session, FIGURES_EXPRESSION);
}

async function evaluateValue<T>(session: CdpSession, expression: string): Promise<T> {
  const r = await session.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
    expression,
    includeCommandLineAPI: true,
    returnByValue: true,
    silent: true,
  });
  if (r.exceptionDetails || r.result.value === undefined) {
    throw new HeapyError(`${session.label}: could not read memory figures (${r.exceptionDetails?.exception?.description ?? r.exceptionDetails?.text ?? 'no value'})`, ExitCode.internal);
  }
  return r.result.value;
}

/** Reads memory figures in the target. */
export async function targetMemory(session: CdpSession): Promise<TargetMemory> {
  return evaluateValue<TargetMemory>(session, MEMORY_EXPRESSION);
}

/**
 * Evaluates `expression` in the target and keeps its value held by the target's inspector under
 * `group` (until releaseGroup or the session's end); resolves to its remote object id.
 */
export async function holdObject(session: CdpSession, expression: string, group: string): Promise<string> {
  const r = await session.send<{ result: { objectId?: string } }>('Runtime.evaluate', { expression, silent: true, objectGroup: group });
  if (!r.result.objectId) throw new HeapyError(`${session.label}: ${expression} is not an object`, ExitCode.internal);
  return r.result.objectId;
}

/** The V8 heap object ids of held objects, 0 for one no snapshot of this id epoch has numbered. */
export async function heapObjectIds(session: CdpSession, objectIds: readonly string[]): Promise<number[]> {
  await session.send('HeapProfiler.enable');
  const ids: number[] = [];
  for (const objectId of objectIds) {
    const r = await session.send<{ heapSnapshotObjectId: string }>('HeapProfiler.getHeapObjectId', { objectId }).catch(() => ({ heapSnapshotObjectId: '0' }));
    ids.push(Number(r.heapSnapshotObjectId));
  }
  return ids;
}

/** Lets go of the values heapy holds in the target under an object group. */
export async function releaseGroup(session: CdpSession, group: string): Promise<void> {
  await session.send('Runtime.releaseObjectGroup', { objectGroup: group }).catch(() => {});
}
