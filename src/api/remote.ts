/**
 * The attached remote session: `h` of `heapy attach`, the counterpart of hpy() for a process heapy
 * reaches through its inspector. Snapshots are streamed into heapy's own process and analysed
 * there, so the analysis does not disturb the target's heap.
 */
import type { Attachment } from '../attach/connect.js';
import { collectGarbage, referenceId, snapshotToFile, takeSnapshot, targetMemory, type TargetMemory } from '../capture/remote.js';
import type { HeapSnapshot, ProgressCallback } from '../snapshot/index.js';
import { formatBytes } from '../util/format.js';
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
}

/** `h` of the attach REPL: the remote counterpart of hpy(). */
export interface RemoteHpy {
  /** Snapshot the target; resolves to every reachable object (or those since setref). */
  heap(): Promise<HeapSet>;
  /** Set the reference point for later heap() calls; resolves to the reference id. */
  setref(): Promise<number>;
  /** Forget the reference point. */
  clearref(): void;
  /** Stream a snapshot to a file; resolves to its path. */
  snapshot(file?: string): Promise<string>;
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
}

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
  const progress = options.progress ?? (() => NO_PROGRESS);
  const withProgress = async <T>(label: string, fn: (onProgress: ProgressCallback | undefined) => Promise<T>): Promise<T> => {
    const p = progress(label);
    try {
      return await fn(p.onProgress);
    } finally {
      p.done();
    }
  };
  return {
    heap: () =>
      withProgress('heap', async (onProgress) => {
        // Let the previous snapshot go before the next one is built: two large graphs at once
        // would double heapy's peak memory.
        last = undefined;
        lastSnapshot = undefined;
        const snap = await takeSnapshot(a.session, { onProgress });
        lastSnapshot = snap;
        const all = HeapSet.all(snap);
        last = ref === undefined ? all : allocatedSince(all, ref);
        return last;
      }),
    setref: () =>
      withProgress('setref', async (onProgress) => {
        ref = await referenceId(a.session, { onProgress });
        return ref;
      }),
    clearref() {
      ref = undefined;
    },
    snapshot: (file?: string) =>
      withProgress('snapshot', async (onProgress) => {
        const path = file ?? options.defaultSnapshotName?.() ?? `heapy-${a.inspector.pid ?? 'remote'}.heapsnapshot`;
        await snapshotToFile(a.session, path, { onProgress });
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
