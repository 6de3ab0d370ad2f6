/**
 * The attached remote session: `h` of `heapy attach`, the counterpart of hpy() for a process heapy
 * reaches through its inspector. Snapshots are streamed into heapy's own process and analysed
 * there, so the analysis does not disturb the target's heap.
 */
import type { Attachment } from '../attach/connect.js';
import { collectGarbage, heapObjectIds, holdObject, referenceId, releaseGroup, snapshotToFile, takeSnapshot, targetMemory, type TargetMemory } from '../capture/remote.js';
import type { HeapSnapshot, ProgressCallback } from '../snapshot/index.js';
import { formatBytes } from '../util/format.js';
import type { GuardOptions } from '../capture/cost.js';
import { lostReference } from '../query/epoch.js';
import { ExitCode, HeapyError } from '../errors.js';
import { HeapSet } from './heapset.js';
import { Rendered } from '../util/printable.js';

/** A progress display for one long operation: the callback to feed, and its end. */
export interface ProgressSink {
  /** Progress callback handed to the engine (undefined: nothing is shown). */
  readonly onProgress: ProgressCallback | undefined;
  /** Clears the display. */
  done(): void;
}

/** Options of {@link remoteHpy}. */
export interface RemoteHpyOptions {
  /** Makes a progress display for an operation named `label` (default: none). */
  readonly progress?: (label: string) => ProgressSink;
  /** The file name `snapshot()` writes when given none. */
  readonly defaultSnapshotName?: () => string;
  /** The cost guard's settings for every capture (--force, --max-target-rss); the pid is the attachment's. */
  readonly guard?: Omit<GuardOptions, 'pid'>;
}

/** Options of one capture of {@link RemoteHpy}. */
export interface CaptureCallOptions {
  /** Skip the cost guard for this capture (`.heap --force`). */
  readonly force?: boolean;
}

/** `h` of the attach REPL: the remote counterpart of hpy(). */
export interface RemoteHpy {
  /** Snapshot the target; resolves to every reachable object (or those since setref). */
  heap(options?: CaptureCallOptions): Promise<HeapSet>;
  /** Set the reference point for later heap() calls; resolves to the reference id. */
  setref(options?: CaptureCallOptions): Promise<number>;
  /** Forget the reference point. */
  clearref(): void;
  /** Stream a snapshot to a file; resolves to its path. */
  snapshot(file?: string, options?: CaptureCallOptions): Promise<string>;
  /** Collect garbage in the target. */
  gc(): Promise<void>;
  /** Memory figures of the target (prints as a table). */
  mem(): Promise<Rendered<TargetMemory>>;
  /** The last HeapSet from heap(). */
  readonly last: HeapSet | undefined;
  /** The last snapshot taken. */
  readonly lastSnapshot: HeapSnapshot | undefined;
  /** The current reference id, if set. */
  readonly ref: number | undefined;
  /** True while a capture (heap, setref, snapshot) is running. */
  readonly busy: boolean;
  /** Stops waiting for the running capture at once (it fails with ExitCode.cancelled). */
  cancel(): void;
}

// The object group under which heapy holds its reference marker in the target (released by
// clearref, a new setref, and the session's end).
const REF_GROUP = 'heapy-ref';
// A marker object, held by the inspector under REF_GROUP (nothing of the application refers to it).
const MARKER = '({ heapyReferenceMarker: true })';
// What the ids are compared on: the marker first (reported as "the reference marker").
const ANCHOR_NAMES = ['the reference marker', 'globalThis', 'Object', 'Array', 'Promise', 'Map'];

const NO_PROGRESS: ProgressSink = { onProgress: undefined, done() {} };

/**
 * The objects of `set` allocated after the reference id: odd V8 ids above it. Native and
 * synthetic nodes (even, hash-derived ids) are left out, since their ids carry no age.
 */
export function allocatedSince(set: HeapSet, ref: number): HeapSet {
  // Node ids are 32-bit: a native mark of 2^32-1 admits no native node.
  return set.allocatedAfter({ js: ref, native: 0xffffffff });
}

/** The remote session over an attachment. */
export function remoteHpy(a: Attachment, options: RemoteHpyOptions = {}): RemoteHpy {
  let last: HeapSet | undefined;
  let lastSnapshot: HeapSnapshot | undefined;
  let ref: number | undefined;
  // Ids of a few objects when the reference was set: a marker object heapy keeps alive in the
  // target's inspector (young, so a renumbering moves it), the global and some built-ins. If a
  // later snapshot gives any of them another id, V8 renumbered everything since (an inspector
  // session ended) and the reference is void. Built-ins alone may keep their numbers: after a
  // reset V8 numbers objects again from the start, in heap order.
  let refIds: number[] = [];
  let anchors: string[] = [];
  const progress = options.progress ?? (() => NO_PROGRESS);
  let running: AbortController | undefined;
  const withProgress = async <T>(label: string, fn: (onProgress: ProgressCallback | undefined, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const p = progress(label);
    const abort = new AbortController();
    running = abort;
    try {
      return await fn(p.onProgress, abort.signal);
    } finally {
      if (running === abort) running = undefined;
      p.done();
    }
  };
  const guard = (call: CaptureCallOptions | undefined): GuardOptions => ({ ...options.guard, ...(call?.force ? { force: true } : {}), pid: a.inspector.pid });
  return {
    heap: (call?: CaptureCallOptions) =>
      withProgress('heap', async (onProgress, signal) => {
        // Let the previous snapshot go before the next one is built: two large graphs at once
        // would double heapy's peak memory.
        last = undefined;
        lastSnapshot = undefined;
        const snap = await takeSnapshot(a.session, { onProgress, signal, guard: guard(call) });
        lastSnapshot = snap;
        const all = HeapSet.all(snap);
        if (ref !== undefined) {
          // Asked the same way as at setref, now that this snapshot has numbered everything.
          const now = await heapObjectIds(a.session, anchors);
          const moved = now.findIndex((id, k) => id !== refIds[k]);
          if (moved >= 0) {
            ref = undefined;
            last = all;
            void releaseGroup(a.session, REF_GROUP);
            throw new HeapyError(`${lostReference(ANCHOR_NAMES[moved]!, refIds[moved]!, now[moved]!)} (.setref); the whole heap is _ now`, ExitCode.badInput);
          }
        }
        last = ref === undefined ? all : allocatedSince(all, ref);
        return last;
      }),
    setref: (call?: CaptureCallOptions) =>
      withProgress('setref', async (onProgress, signal) => {
        ref = undefined;
        await releaseGroup(a.session, REF_GROUP);
        // The marker must exist before the snapshot numbers it.
        const marker = await holdObject(a.session, MARKER, REF_GROUP);
        ref = await referenceId(a.session, { onProgress, signal, guard: guard(call) });
        anchors = [marker];
        for (const e of ANCHOR_NAMES.slice(1)) anchors.push(await holdObject(a.session, e, REF_GROUP));
        refIds = await heapObjectIds(a.session, anchors);
        return ref;
      }),
    clearref() {
      ref = undefined;
      void releaseGroup(a.session, REF_GROUP);
    },
    snapshot: (file?: string, call?: CaptureCallOptions) =>
      withProgress('snapshot', async (onProgress, signal) => {
        const path = file ?? options.defaultSnapshotName?.() ?? `heapy-${a.inspector.pid ?? 'remote'}.heapsnapshot`;
        await snapshotToFile(a.session, path, { onProgress, signal, guard: guard(call) });
        return path;
      }),
    gc: () => collectGarbage(a.session),
    mem: async () => new Rendered(await targetMemory(a.session), renderMemory),
    get last() {
      return last;
    },
    get lastSnapshot() {
      return lastSnapshot;
    },
    get ref() {
      return ref;
    },
    get busy() {
      return running !== undefined;
    },
    cancel() {
      running?.abort();
    },
  };
}

/** The `.mem` report as text: memory usage, heap statistics and active resources. */
export function renderMemory(m: TargetMemory): string {
  const lines: string[] = ['process.memoryUsage():'];
  for (const [k, v] of Object.entries(m.memoryUsage)) lines.push(`  ${k.padEnd(28)} ${formatBytes(v).padStart(10)}`);
  lines.push('v8.getHeapStatistics():');
  for (const [k, v] of Object.entries(m.heapStatistics)) {
    lines.push(`  ${k.padEnd(28)} ${(/size|memory|bytes/.test(k) ? formatBytes(v) : String(v)).padStart(10)}`);
  }
  lines.push('process.getActiveResourcesInfo():');
  const res = Object.entries(m.activeResources).sort((a, b) => b[1] - a[1]);
  if (res.length === 0) lines.push('  (none)');
  for (const [k, v] of res) lines.push(`  ${k.padEnd(28)} ${String(v).padStart(10)}`);
  return lines.join('\n');
}
