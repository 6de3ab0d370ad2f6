/**
 * The sizes at which the engine changes strategy, each in one place with the measurement behind it.
 * Bench inputs: bench/gen-service-heap.mjs files of 25 MB (339 k nodes), 200 MB (2.8 M nodes) and
 * 1.1 GB (14.8 M nodes), on the 2-core bench machine. Also the full GC those sizes call for.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Files at least this big are parsed and analysed by two threads (load.ts: the edge worker takes
 * the tail of the edges; graph.ts: the analysis worker) and read in 8 MiB chunks instead of 1 MiB.
 * Measured (medians of 7, both threads vs one): at 25 MB the second thread gives no time back
 * (0.39 s vs 0.40 s) and costs 13 MB of RSS and 19% more CPU; at 40 MB it saves 8% (0.56 -> 0.51
 * s); on a machine whose other core is busy it loses. 64 MiB keeps the second thread where it
 * pays with a margin, and from there the 8 MiB buffer's page faults (25-35 ms, see load.ts) are
 * under 5% of a load.
 */
export const BIG_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Graphs with at least this many nodes get a full GC before and after the dominator pass
 * (graph.ts), so that the pass's scratch and the parser's leftovers are freed before the next
 * phase allocates. Measured: at 339 k nodes (25 MB) the GCs cost 10-20 ms and lower nothing; at
 * 2.8 M (200 MB) they neither cost nor save measurably (322 MB peak either way); at 14.8 M (1.1 GB)
 * they keep the peak at 1563 MiB (commit bc628d7). 2 M sits between the sizes where they only cost
 * and those where the scratch freed runs to hundreds of MB.
 */
export const BIG_GRAPH_NODES = 2_000_000;

/**
 * The largest `snapshot` header the parser buffers. Real headers are a few kilobytes (Node 20's:
 * 0.9 KB); the limit only stops a file that is not a snapshot from being buffered whole, and 64 MiB
 * is far from both.
 */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

// A full garbage collection on demand, for the engine's big temporary arrays. Why: the dominator pass frees ~170 MB of scratch arrays for a 14 M-node heap, and V8 only
// collects them when it next runs a GC, which may come after the following phase has allocated its
// own arrays: the two then add up in the peak RSS. Collecting once between the phases keeps the peak
// of a 1.1 GB snapshot under 1.6 GB. node:v8 can turn on `--expose-gc` at run time; a fresh vm
// context then sees `gc`.

let gcFunction: (() => void) | null | undefined;

/** Runs a full GC if the runtime allows it; otherwise does nothing. */
export function collectGarbageNow(): void {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const fn = runInNewContext('typeof gc === "function" ? gc : null') as (() => void) | null;
      gcFunction = fn;
    } catch {
      gcFunction = null;
    }
  }
  gcFunction?.();
}
