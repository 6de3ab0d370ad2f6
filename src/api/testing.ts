/**
 * `heapy/testing`: a leak assertion for `node:test` (or any runner), memray's pytest
 * `limit_memory` idea applied to leaks. It runs a function many times in this process, snapshots
 * the heap three times along the way (base, target, final, as `heapy leaks` does) and fails with
 * heapy's cluster text when what the function leaves behind keeps growing.
 *
 * @example
 * ```ts
 * import { test } from 'node:test';
 * import { assertNoLeak } from 'heapy/testing';
 *
 * test('the handler keeps nothing per request', async () => {
 *   await assertNoLeak(async () => { await handler(request()) }, { iterations: 100 });
 * });
 * ```
 */
import { AssertionError } from 'node:assert';
import { findLeaks, renderLeaks, type LeakReport } from '../analyses/leaks.js';
import type { HeapSnapshot } from '../snapshot/index.js';
import { Hpy, heapyOwned } from './hpy.js';

/** Options of {@link assertNoLeak}. */
export interface NoLeakOptions {
  /** Calls between two snapshots (default 100): each growing cluster gains about this many objects a round. */
  readonly iterations?: number;
  /** Calls before the base snapshot (default 10), so that caches, lazy compilation and first-call setup are in base. */
  readonly warmup?: number;
  /** At most this many clusters in the report and the message (default 20, as for `heapy leaks`). */
  readonly limit?: number;
}

// One round of 100 calls makes a leak of one object per call a cluster of 100, well above the
// handful of objects the runtime itself leaves between two snapshots.
const DEFAULT_ITERATIONS = 100;
const DEFAULT_WARMUP = 10;

/**
 * Runs `fn` `warmup` times, snapshots, runs it `iterations` times, snapshots, runs it
 * `iterations` more times and snapshots again; rejects with an AssertionError whose message is
 * the `heapy leaks` text of the clusters that kept growing, and resolves with the report when
 * none did. heapy's own objects (its snapshots among them) are left out.
 */
export async function assertNoLeak(fn: () => unknown, options: NoLeakOptions = {}): Promise<LeakReport> {
  const iterations = count('iterations', options.iterations ?? DEFAULT_ITERATIONS, 1);
  const warmup = count('warmup', options.warmup ?? DEFAULT_WARMUP, 0);
  const h = new Hpy();
  try {
    await repeat(fn, warmup);
    const base = await settledSnapshot(h);
    await repeat(fn, iterations);
    const target = await settledSnapshot(h);
    await repeat(fn, iterations);
    const report = await analyse(h, base, target, options.limit);
    if (report.clusters.some((c) => c.growing)) {
      throw new AssertionError({ message: `the function leaks: ${iterations} calls a round\n${renderLeaks(report)}`, stackStartFn: assertNoLeak });
    }
    return report;
  } finally {
    h.close();
  }
}

/**
 * Takes final and runs the analysis. A function of its own so that nothing of the three
 * snapshots (each a few typed arrays per node and edge) outlives it: only the report leaves.
 */
async function analyse(h: Hpy, base: HeapSnapshot, target: HeapSnapshot, limit: number | undefined): Promise<LeakReport> {
  const final = await settledSnapshot(h);
  return findLeaks(base, target, final, { exclude: heapyOwned(final), limit });
}

/**
 * A snapshot after what the last GC freed has been let go of by Node too: async_hooks users
 * (node:test's own resource map among them) drop a collected promise only in its destroy hook,
 * which Node runs from an immediate after the GC. Snapshotting straight after the GC showed 163,
 * then 285 such entries in node:test's map: a Map that seems to grow by a hundred a round.
 */
async function settledSnapshot(h: Hpy): Promise<HeapSnapshot> {
  await h.gc();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return h.takeSnapshot();
}

async function repeat(fn: () => unknown, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await fn();
}

function count(name: string, n: number, min: number): number {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`assertNoLeak: ${name} must be a whole number >= ${min}, got ${n}`);
  return n;
}
