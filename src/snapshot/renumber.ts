/**
 * Renumbering a scattered snapshot's nodes into breadth-first order before the heavy passes.
 *
 * V8 writes a heap's objects roughly in address order, so an object and the objects it points to
 * sit near each other in every array, and the graph passes walk memory mostly forward. A heap
 * whose objects were allocated over a long time (or a snapshot whose nodes were shuffled) loses
 * that: each step of the reverse graph's fill, the dominator tree's depth-first search and the
 * semidominator loop is then a cache and TLB miss. Measured on the 1.1 GB bench file and its
 * permutation (bench/permute-snapshot.mjs): retainers and dominators took 1.5 s + 3.7 s in the
 * file's order, 5.4 s + 16.2 s permuted, and 1.1 s + 3.9 s once the permuted graph was renumbered
 * in the order of the distance search. So when the distance search finds the file's order
 * scattered and the graph tree-like, the analysis renumbers every node array and edge into the
 * search's order and runs the rest of the passes there.
 *
 * A graph that is not tree-like (most nodes held by several objects: bench/gen-scattered-heap.mjs
 * at locality 0) gains little (17.4 s -> 15.0 s of dominators on 10 M nodes, about what the
 * renumbering costs), because its depth-first tree follows the random cross edges, not the
 * breadth-first one: it is left in the file's order.
 *
 * Ordinals then follow the new order (the root is 0); object ids, edges' order within a node and
 * every result by id are the same. HeapSnapshot.nodeOrder says which order the ordinals are in.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ExitCode, HeapyError } from '../errors.js';
import { NO_DISTANCE, type BreadthFirstOrder, type ForwardGraph } from './passes.js';
import type { RawSnapshot } from './raw.js';
import { BIG_GRAPH_NODES, collectGarbageNow } from './thresholds.js';

/**
 * Whether a full analysis renumbers: 'auto' when the distance search finds the file's order
 * scattered and the graph tree-like (see {@link OrderMeasure}), 'always', or 'never'.
 */
export type RenumberMode = 'auto' | 'always' | 'never';

/**
 * Graphs below this many nodes are never renumbered by 'auto': their arrays fit the CPU's caches
 * and TLB well enough that the order does not matter (the 200 MB bench file, 2.8 M nodes: 1.34 s
 * in its own order), and the renumbering would cost more than it saves.
 */
export const RENUMBER_MIN_NODES = 2_000_000;

/**
 * How far apart (in nodes) two nodes the search visits one after the other count as a jump: 1024
 * (4 KB of a 32-bit array), less on graphs too small for that to mean far (a 64th of the nodes).
 */
const JUMP_NODES = 1024;
/** The consecutive pairs shouldRenumber samples at most. */
const SAMPLE_PAIRS = 1 << 20;

/** What shouldRenumber measured. */
export interface OrderMeasure {
  /** Share of consecutively visited nodes far apart in the file (over 1024 nodes on big graphs): 0.14 on V8's own order, 1.0 shuffled. */
  readonly scattered: number;
  /** Share of nodes with at most one strong retainer: 0.85 on the service heaps, 0.22 on the generated random ones. */
  readonly treeLike: number;
  /** The decision: scattered > 0.5 and treeLike > 0.5 (and a first short search, see probeScattered, found the order scattered too). */
  readonly renumber: boolean;
}

/** Measures the file's order against the search's and decides: scattered and tree-like. */
export function shouldRenumber(bfs: BreadthFirstOrder, nodeCount: number): OrderMeasure {
  const { order, shared } = bfs;
  const pairs = order.length - 1;
  let far = 0;
  let sampled = 0;
  const jump = Math.max(16, Math.min(JUMP_NODES, nodeCount >>> 6));
  if (pairs > 0) {
    const step = Math.max(1, Math.floor(pairs / SAMPLE_PAIRS));
    for (let i = 0; i < pairs; i += step) {
      const d = order[i + 1]! - order[i]!;
      if (d > jump || d < -jump) far++;
      sampled++;
    }
  }
  const scattered = sampled > 0 ? far / sampled : 0;
  const treeLike = nodeCount > 0 ? 1 - shared / nodeCount : 1;
  return { scattered, treeLike, renumber: scattered > 0.5 && treeLike > 0.5 };
}

/** How many nodes probeScattered visits. */
const PROBE_NODES = 1 << 16;

/**
 * The `scattered` share of OrderMeasure from the first PROBE_NODES nodes of a breadth-first search
 * (over strong edges, from the root): cheap (11 ms on the 200 MB file in V8's order, 17 ms shuffled, 20 ms on 10 M random nodes),
 * so that the analysis knows before the full search whether renumbering is possible at all. It
 * then starts the worker on the file's order at once when it is not (see HeapSnapshot.build).
 */
export function probeScattered(g: ForwardGraph): number {
  const N = g.nodeCount;
  const { firstEdge, edgeTo, edgeType } = g;
  const seen = new Uint32Array((N >>> 5) + 1);
  const queue = new Uint32Array(Math.min(N, PROBE_NODES));
  const jump = Math.max(16, Math.min(JUMP_NODES, N >>> 6));
  let head = 0;
  let tail = 0;
  queue[tail++] = g.rootOrdinal;
  seen[g.rootOrdinal >>> 5]! |= 1 << (g.rootOrdinal & 31);
  let far = 0;
  while (head < tail && tail < queue.length) {
    const v = queue[head++]!;
    for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end && tail < queue.length; e++) {
      if (edgeType[e] === g.weakEdgeType) continue;
      const to = edgeTo[e]!;
      const bit = 1 << (to & 31);
      if ((seen[to >>> 5]! & bit) !== 0) continue;
      seen[to >>> 5]! |= bit;
      const d = to - queue[tail - 1]!;
      if (d > jump || d < -jump) far++;
      queue[tail++] = to;
    }
  }
  return tail > 1 ? far / (tail - 1) : 0;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type NodeArray = Uint8Array | Uint32Array | Float64Array;

/** A new array of `src`'s kind and length `n`, on a SharedArrayBuffer when `src` is on one. */
function like<T extends NodeArray>(src: T, n: number): T {
  const Ctor = src.constructor as new (buffer: ArrayBufferLike) => T;
  const bytes = n * src.BYTES_PER_ELEMENT;
  return new Ctor(src.buffer instanceof SharedArrayBuffer ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

// out[newOf[v]] = src[v]: each array is read in order and written where the new ordinal puts
// each value. Written as scatters, not gathers (out[i] = src[order[i]]): on the bench machine a
// scatter of 14.4 M Uint32 took 130 ms and the gather 510 ms, because independent writes overlap
// in the CPU and reads stall it. One function an element type, so that V8 inlines the element
// access (a generic one sees three kinds).
// `out` may be an array whose values are no longer needed (see renumberSnapshot): writing into
// memory already faulted in saves the kernel's zeroing of a fresh one, ~2 ms a MB here.
function scatter8(src: Uint8Array, newOf: Uint32Array, out: Uint8Array = like(src, src.length)): Uint8Array {
  for (let v = 0; v < src.length; v++) out[newOf[v]!] = src[v]!;
  return out;
}
function scatter32(src: Uint32Array, newOf: Uint32Array, out: Uint32Array = like(src, src.length)): Uint32Array {
  for (let v = 0; v < src.length; v++) out[newOf[v]!] = src[v]!;
  return out;
}
function scatter64(src: Float64Array, newOf: Uint32Array): Float64Array {
  const out = like(src, src.length);
  for (let v = 0; v < src.length; v++) out[newOf[v]!] = src[v]!;
  return out;
}

/**
 * Renumbers `raw` in place into the order of the distance search (root first, then the search's
 * order, then the nodes it did not reach in file order) and returns the distances in the new
 * order. Every array of `raw` is replaced by a new one, one at a time, so that the old one can be
 * collected before the next is made: the peak is the graph plus one array, not two graphs. With
 * `parallel` (the arrays are on SharedArrayBuffers) a second thread moves the first 55 % of the
 * edges (renumber-worker.ts): 5.5 s -> 3.6-3.9 s on the 1.1 GB permuted file.
 */
export function renumberSnapshot(raw: RawSnapshot, bfs: BreadthFirstOrder, distance: Uint32Array, parallel: boolean): Uint32Array {
  const m = raw as Mutable<RawSnapshot>;
  const N = raw.nodeCount;
  const E = raw.edgeCount;
  const root = raw.meta.rootOrdinal;
  const shared = parallel && raw.firstEdge.buffer instanceof SharedArrayBuffer && raw.edgeTo.buffer instanceof SharedArrayBuffer;
  const sab = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  // The new ordinal of each old one; every array is then rewritten by scatter.
  const newOf = new Uint32Array(sab(4 * N));
  let k = 0;
  newOf[root] = k++;
  const visited = bfs.order;
  for (let i = 0; i < visited.length; i++) {
    const v = visited[i]!;
    if (v !== root) newOf[v] = k++;
  }
  for (let v = 0; v < N; v++) if (distance[v] === NO_DISTANCE && v !== root) newOf[v] = k++;
  if (k !== N) throw new Error(`internal: the renumbering has ${k} of ${N} nodes`);

  const oldFirst = raw.firstEdge;
  const first = newFirstEdges(oldFirst, newOf);
  const edges: EdgeMove = {
    oldFirst,
    newOf,
    first,
    name: raw.edgeName,
    newName: like(raw.edgeName, E),
    type: raw.edgeType,
    newType: like(raw.edgeType, E),
    target: raw.edgeTo,
    newTarget: like(raw.edgeTo, E),
  };
  // The worker moves the edges of the first nodes, this thread those of the rest once it has
  // rewritten the node arrays: split where WORKER_SHARE of the edges lie before, which balanced
  // the two on the permuted 1.1 GB file.
  const split = shared ? nodeAtEdge(oldFirst, Math.floor(E * WORKER_SHARE)) : 0;
  const helper = shared ? startRenumberWorker({ ...edges, until: split }) : null;
  try {
    // Node arrays of 32-bit values: each one's old array, once rewritten, receives the next.
    // Only arrays the snapshot owns alone are reused (the parser's, and the distances).
    let spare: Uint32Array | null = null;
    const next32 = (src: Uint32Array): Uint32Array => {
      const out = spare !== null && spare.length === N && spare.buffer.constructor === src.buffer.constructor ? scatter32(src, newOf, spare) : scatter32(src, newOf);
      spare = src.length === N && src.byteOffset === 0 && src.buffer.byteLength === 4 * N ? src : null;
      return out;
    };
    m.nodeType = scatter8(raw.nodeType, newOf);
    m.nodeName = next32(raw.nodeName);
    m.nodeId = next32(raw.nodeId);
    const self = raw.nodeSelfSize;
    m.nodeSelfSize = self instanceof Float64Array ? scatter64(self, newOf) : next32(self);
    if (raw.nodeTraceId) m.nodeTraceId = next32(raw.nodeTraceId);
    if (raw.nodeDetachedness) m.nodeDetachedness = scatter8(raw.nodeDetachedness, newOf);
    const newDistance = next32(distance);
    // The old node arrays are garbage now (none is shared with the worker): free them before the
    // edge moves fill the new edge arrays, or the two graphs make the analysis's peak.
    if (N >= BIG_GRAPH_NODES) collectGarbageNow();
    moveEdges(edges, split, N);
    if (helper) helper.waitFor(STAGE_MOVED);
    m.edgeName = edges.newName;
    m.edgeType = edges.newType;
    m.edgeTo = edges.newTarget;
    m.firstEdge = first;
    renumberLocations(raw, newOf);
    m.meta = { ...raw.meta, rootOrdinal: 0 };
    return newDistance;
  } finally {
    helper?.stop();
  }
}

/** The share of the edges the worker moves (see renumberSnapshot). */
const WORKER_SHARE = 0.55;

/** The first node whose edges start at or after edge `e`. */
function nodeAtEdge(first: Uint32Array, e: number): number {
  let lo = 0;
  let hi = first.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (first[mid]! < e) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The `locations` section's object ordinals, renumbered in place. */
function renumberLocations(raw: RawSnapshot, newOf: Uint32Array): void {
  if (!raw.locations) return;
  const lf = raw.meta.locationFields.length;
  const objField = Math.max(0, raw.meta.locationFields.indexOf('object_index'));
  const loc = raw.locations;
  for (let j = objField; j < loc.length; j += lf) loc[j] = newOf[loc[j]!]!;
}

/** The new first edges: each node's degree written at its new ordinal, then summed. */
function newFirstEdges(oldFirst: Uint32Array, newOf: Uint32Array): Uint32Array {
  const N = newOf.length;
  const first = like(oldFirst, N + 1);
  for (let v = 0; v < N; v++) first[newOf[v]!] = oldFirst[v + 1]! - oldFirst[v]!;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const d = first[i]!;
    first[i] = sum;
    sum += d;
  }
  first[N] = sum;
  return first;
}

/** The edge arrays, old and new, and what places them: see moveEdges. */
export interface EdgeMove {
  readonly oldFirst: Uint32Array;
  readonly newOf: Uint32Array;
  readonly first: Uint32Array;
  readonly name: Uint32Array;
  readonly newName: Uint32Array;
  readonly type: Uint8Array;
  readonly newType: Uint8Array;
  readonly target: Uint32Array;
  readonly newTarget: Uint32Array;
}

/**
 * The edges of old nodes [from, to) into their new places: each node's edges keep their order,
 * its block moves to where its new ordinal puts it (one random read of `first` a node), and each
 * target is renumbered (a random read of newOf an edge, the costliest step).
 */
export function moveEdges(m: EdgeMove, from: number, to: number): void {
  const { oldFirst, newOf, first, name, newName, type, newType, target, newTarget } = m;
  for (let v = from; v < to; v++) {
    let k = first[newOf[v]!]!;
    for (let e = oldFirst[v]!, end = oldFirst[v + 1]!; e < end; e++, k++) {
      newName[k] = name[e]!;
      newType[k] = type[e]!;
      newTarget[k] = newOf[target[e]!]!;
    }
  }
}

// The second thread's share (renumber-worker.ts), synchronised on control[0]: the last stage it
// finished, or STAGE_FAILED with the message on `errors`.

/** The worker has moved the edges of its nodes. */
export const STAGE_MOVED = 1;
/** The worker threw. */
export const STAGE_FAILED = -1;

/** What the main thread hands the worker (all on SharedArrayBuffers): it moves the edges of nodes [0, until). */
export interface RenumberWorkerInput extends EdgeMove {
  readonly until: number;
  readonly control: Int32Array;
  readonly errors: MessagePort;
}

// A worker that cannot load its module never reports, and its 'error' event cannot arrive while
// this thread waits: past this, waiting is called a failure.
const WORKER_LIMIT_MS = 120_000;

function startRenumberWorker(arrays: Omit<RenumberWorkerInput, 'control' | 'errors'>): { waitFor(stage: number): void; stop(): void } {
  const control = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./renumber-worker.js', import.meta.url), { workerData: { ...arrays, control, errors: port2 }, transferList: [port2] });
  worker.unref();
  return {
    waitFor(stage) {
      const started = Date.now();
      for (;;) {
        const now = Atomics.load(control, 0);
        if (now >= stage) return;
        if (now === STAGE_FAILED) {
          const m = receiveMessageOnPort(port1);
          throw new HeapyError(`the renumbering worker failed: ${String(m?.message ?? 'no message')}`, ExitCode.internal);
        }
        if (Date.now() - started > WORKER_LIMIT_MS) throw new HeapyError('the renumbering worker did not finish', ExitCode.internal);
        Atomics.wait(control, 0, now, 1000);
      }
    },
    stop() {
      port1.close();
      void worker.terminate();
    },
  };
}
