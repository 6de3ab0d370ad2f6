/**
 * The heap graph in flat typed arrays, and what heapy derives from it: retainers, distances from
 * the roots, the dominator tree, retained sizes and the owners of internal backing stores.
 *
 * One id in the API: the node ordinal (0..nodeCount-1). Edges are numbered 0..edgeCount-1 in node
 * order, so node i owns edges firstEdge[i] .. firstEdge[i+1]-1.
 */
import { ParsedSnapshot, type ProgressCallback, type RawSnapshot } from './raw.js';
import type { StringTable } from './strings.js';

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  computeDistances,
  computeOwners,
  countRetainers,
  fillRetainers,
  userReachable,
  INESSENTIAL,
  NO_DISTANCE,
  NO_NODE,
  ORDINAL_MASK,
  SYSTEM_DISTANCE_BASE,
  WEAK,
  type BreadthFirstOrder,
  type ReverseGraph,
} from './passes.js';
import { probeScattered, RENUMBER_MIN_NODES, renumberSnapshot, shouldRenumber, type OrderMeasure, type RenumberMode } from './renumber.js';
import { CONTROL_SLOTS, GO, OWNERS_DONE, STAGE, STAGE_FAILED, STAGE_NOT_STARTED, STEP_FILL, STEP_STOP, STEP_TO_DFS, STEP_TO_ORDINALS, type AnalysisWorkerInput } from './passes.js';
import { computeDominators, type Linking, type RemapHelper, type Retainers } from './dominators.js';
import { BIG_GRAPH_NODES, collectGarbageNow } from './thresholds.js';
import { ExitCode, HeapyError } from '../errors.js';

export { NO_DISTANCE, NO_NODE, SYSTEM_DISTANCE_BASE, RENUMBER_MIN_NODES, type Linking, type OrderMeasure, type RenumberMode };

/**
 * How much {@link HeapSnapshot.analyze} derives before it returns. 'full': everything. 'light':
 * distances (which objects count) and owners (kind names) only; the reverse graph, the dominator
 * tree and retained sizes are made on first read, on this thread, equal to a full analysis's.
 * Partition tables by kind need no more; the dominator pass is the analysis's longest (553 of
 * 801 ms after parsing a 1.5 M-node snapshot, two threads), the reverse graph's fill next (70 ms).
 */
export type AnalysisLevel = 'full' | 'light';

/** Options for {@link HeapSnapshot.analyze}. */
export interface AnalyzeOptions {
  /** Called as each analysis phase advances. */
  readonly onProgress?: ProgressCallback | undefined;
  /** Default 'full'. */
  readonly level?: AnalysisLevel | undefined;
  /**
   * Whether a full analysis may renumber the nodes into the distance search's order (see
   * renumber.ts): 'auto' (the default) does on graphs of RENUMBER_MIN_NODES nodes or more whose
   * order is scattered and whose shape is tree-like; 'always' and 'never' decide for any size.
   */
  readonly renumber?: RenumberMode | undefined;
  /**
   * How the dominator pass links its forest (see {@link Linking}): 'auto' (the default) takes
   * 'balanced' when the distance search found the file's order scattered and the snapshot was not
   * renumbered (on graphs of up to 2^25 nodes: it needs 8 more bytes a node), else 'simple'. Both
   * give the same result.
   */
  readonly linking?: 'auto' | Linking | undefined;
  /**
   * Full analyses on two threads of graphs of more than this many nodes find the owners only once
   * the dominator pass is done, and keep them in its DFS-number array's memory: 4 bytes a node
   * less at the peak, a few seconds more. Default 2^25.
   */
  readonly ownersInPlaceAbove?: number | undefined;
}

/** What a full analysis found out about the file's node order, before it ran the other passes. */
export interface NodeOrder {
  /** True when the ordinals follow the distance search's order rather than the file's. */
  readonly renumbered: boolean;
  /** The measure 'auto' decided by, or null when it was not taken (small graph, light analysis, a fixed mode). */
  readonly measure: OrderMeasure | null;
}

/**
 * A loaded heap snapshot with its derived indexes. Construct with {@link HeapSnapshot.analyze};
 * every derived array is complete on return, except that at level 'light' the reverse graph, the
 * dominator tree and retained sizes are made when first read.
 */
export class HeapSnapshot extends ParsedSnapshot {
  /** Ordinal of the synthetic root node. */
  readonly rootOrdinal: number;
  /** The string table, decoded on demand. */
  readonly stringTable: StringTable;

  /** BFS distance from the roots over non-weak edges, or NO_DISTANCE. */
  readonly distance: Uint32Array;
  /** Owner of an internal store (hidden/array node owned by one object), else NO_NODE. */
  readonly owner: Uint32Array;
  /** Sum of all self sizes. */
  readonly totalSize: number;
  /**
   * Whether the ordinals are the file's node order or the distance search's (a scattered big
   * snapshot is renumbered before the heavy passes: see AnalyzeOptions.renumber). Ids, edges and
   * every result by id are the same either way; `locations` follow the ordinals.
   */
  readonly nodeOrder: NodeOrder;

  private reverse: Retainers | null = null;
  /**
   * Set while the retainer entries still hold the dominator pass's DFS numbers (the flags are
   * right already): turns them back into ordinals, or waits for the worker doing it, before an
   * entry's node is read. The full analysis returns without waiting for that step, which reading
   * nothing but sizes and kinds never needs (0.35 s of the 1.1 GB file's analysis).
   */
  private finishRetainers: (() => void) | null = null;
  /** WeakMap table edges: edge name string index -> the table's node id (see weakMapTableEdgeNames). */
  private readonly weakMapTables: ReadonlyMap<number, number>;
  private dominatorTree: { dominator: Uint32Array; retainedSize: Float64Array } | null = null;
  private idOrder: Uint32Array | null = null;
  private allStrings: string[] | null = null;

  /** Every string, decoded once on first use (prefer string(i) in loops over big snapshots). */
  get strings(): string[] {
    return (this.allStrings ??= this.stringTable.toArray());
  }

  /** Retainer prefix sums: node i is retained by entries firstRetainer[i] .. firstRetainer[i+1]-1; filled now if the analysis was light. */
  get firstRetainer(): Uint32Array {
    return (this.reverse ??= this.fillReverseGraph()).firstRetainer;
  }

  /** Retaining node ordinal per entry, with flag bits (read it with retainerNode(k)); filled now if the analysis was light. */
  get retainers(): Uint32Array {
    if (this.finishRetainers) {
      const finish = this.finishRetainers;
      this.finishRetainers = null;
      finish();
    }
    return (this.reverse ??= this.fillReverseGraph()).retainers;
  }

  /** The entries as they are (flags always right; nodes maybe still DFS numbers): see finishRetainers. */
  private get retainerFlags(): Uint32Array {
    return (this.reverse ??= this.fillReverseGraph()).retainers;
  }

  /** The reverse graph of a light analysis, filled when first read, as the full analysis fills it. */
  private fillReverseGraph(): Retainers {
    const g = this.reverseGraph();
    const firstRetainer = new Uint32Array(this.nodeCount + 1);
    const retainers = new Uint32Array(this.edgeCount);
    countRetainers(g, firstRetainer);
    fillRetainers(g, this.userReachableFlags(), firstRetainer, retainers);
    return { firstRetainer, retainers };
  }

  /** 1 for the nodes the user's roots reach, made again from the distances (see userReachable). */
  private userReachableFlags(): Uint8Array {
    const reachable = new Uint8Array(this.nodeCount);
    userReachable(this.distance, reachable);
    return reachable;
  }

  /** Immediate dominator ordinal (the root's is NO_NODE); computed now if the analysis was light. */
  get dominator(): Uint32Array {
    return (this.dominatorTree ??= this.computeDominatorTree()).dominator;
  }

  /** Retained size: self size plus all that only this node keeps alive; computed now if the analysis was light. */
  get retainedSize(): Float64Array {
    return (this.dominatorTree ??= this.computeDominatorTree()).retainedSize;
  }

  /** True once the dominator tree and retained sizes exist (always after a full analysis). */
  get hasDominators(): boolean {
    return this.dominatorTree !== null;
  }

  /**
   * The dominator pass of a light analysis, run when its results are first read: on this thread,
   * over the same reverse graph and reachable flags as the full analysis's, so with its result.
   */
  private computeDominatorTree(): { dominator: Uint32Array; retainedSize: Float64Array } {
    const { firstRetainer, retainers } = this;
    return computeDominators(this.reverseGraph(), this.userReachableFlags(), this.nodeSelfSize, () => ({ firstRetainer, retainers }), undefined, undefined, this.linking);
  }

  private constructor(
    raw: RawSnapshot,
    onProgress: ProgressCallback | undefined,
    parallel: boolean,
    level: AnalysisLevel,
    private readonly linking: Linking,
    ownersInPlaceAbove: number,
    known?: KnownDistances,
  ) {
    super(raw);
    this.weakMapTables = known?.weakMapTables ?? weakMapTableEdgeNames(raw.strings);
    this.nodeOrder = known?.order ?? { renumbered: false, measure: null };
    this.rootOrdinal = raw.meta.rootOrdinal;
    this.stringTable = raw.strings;
    let total = 0;
    const self = this.nodeSelfSize;
    for (let i = 0; i < this.nodeCount; i++) total += self[i]!;
    this.totalSize = total;

    const progress = onProgress ?? (() => {});
    if (this.nodeCount === 0) {
      this.reverse = { firstRetainer: new Uint32Array(1), retainers: new Uint32Array(0) };
      this.distance = new Uint32Array(0);
      this.dominatorTree = { dominator: new Uint32Array(0), retainedSize: new Float64Array(0) };
      this.owner = new Uint32Array(0);
      return;
    }
    const g = this.reverseGraph();
    const N = this.nodeCount;
    const full = level === 'full';
    const { owner, firstRetainer, retainers, reachable, helper } = known?.prepared ?? prepareAnalysis(raw, g, parallel, level, ownersInPlaceAbove);
    // Null: the worker writes the owners into the dominator pass's dfnum once it is done with it.
    this.owner = owner ?? new Uint32Array(0);
    let dfnum: Uint32Array | undefined;
    let done = false;
    try {
      if (!helper && full) countRetainers(g, firstRetainer);
      progress('user roots', 0, 1);
      if (this.nodeDetachedness) this.propagateDetachedness(this.nodeDetachedness);
      if (known) this.distance = known.distance;
      else {
        progress('distances', 0, 1);
        this.distance = new Uint32Array(N);
        computeDistances(g, this.distance);
      }
      // The first BFS round is exactly what the user's roots reach (DevTools' page-owned objects).
      userReachable(this.distance, reachable);
      // A light analysis stops before the reverse graph and the dominator pass.
      if (full) {
        progress('retainers', 0, 1);
        if (helper) helper.allow(STEP_FILL);
        else fillRetainers(g, reachable, firstRetainer, retainers);
        this.reverse = { firstRetainer, retainers };
        dfnum = this.analyzeDominators(g, reachable, helper, onProgress);
      }
      progress('owners', 0, 1);
      if (!helper) computeOwners(g, this.owner);
      else helper.waitForOwners();
      if (owner === null) this.owner = dfnum!.subarray(0, N);
      done = true;
    } finally {
      // A worker still turning the retainer entries back is left to finish (finishRetainers).
      if (!done || this.finishRetainers === null) helper?.stop();
    }
    progress('done', 1, 1);
  }

  /** The full analysis's dominator pass, overlapped with the worker's share when there is one. */
  private analyzeDominators(g: ReverseGraph, reachable: Uint8Array, helper: AnalysisHelper | undefined, onProgress: ProgressCallback | undefined): Uint32Array | undefined {
    const N = this.nodeCount;
    const progress = onProgress ?? (() => {});
    progress('dominators', 0, 1);
    // The dominator pass makes the peak: free what parsing left first.
    if (N >= BIG_GRAPH_NODES) collectGarbageNow();
    const retainers = () => {
      helper?.waitFor(STEP_FILL + 1);
      return this.reverse!;
    };
    const dfnum = helper?.dfnum;
    const { dominator, retainedSize, finishRetainers } = computeDominators(g, reachable, this.nodeSelfSize, retainers, helper, onProgress, this.linking, true);
    helper?.dropArrays();
    this.dominatorTree = { dominator, retainedSize };
    this.finishRetainers =
      finishRetainers && helper
        ? () => {
            try {
              finishRetainers();
            } finally {
              helper.stop();
            }
          }
        : finishRetainers;
    // Big graphs: free the dominator pass's scratch now rather than after the next allocations.
    if (N >= BIG_GRAPH_NODES) collectGarbageNow();
    return dfnum;
  }

  private reverseGraph(): ReverseGraph {
    return graphOf(this, this.stringTable, this.rootOrdinal, this.weakMapTables);
  }

  /** Builds the derived indexes over a parsed snapshot, on this thread. */
  static analyze(raw: RawSnapshot, options: AnalyzeOptions = {}): HeapSnapshot {
    return HeapSnapshot.build(raw, options, false);
  }

  /**
   * A full analysis of a big graph first measures the file's order by the distance search and,
   * if it is scattered, renumbers the snapshot (renumber.ts) before the constructor runs the rest.
   */
  private static build(raw: RawSnapshot, options: AnalyzeOptions, parallel: boolean): HeapSnapshot {
    const level = options.level ?? 'full';
    const mode = options.renumber ?? 'auto';
    const ownersInPlaceAbove = options.ownersInPlaceAbove ?? OWNERS_IN_DFNUM_NODES;
    const N = raw.nodeCount;
    if (level !== 'full' || N === 0 || mode === 'never' || (mode === 'auto' && N < RENUMBER_MIN_NODES)) {
      return new HeapSnapshot(raw, options.onProgress, parallel, level, options.linking === 'balanced' ? 'balanced' : 'simple', ownersInPlaceAbove);
    }
    // When a short search already finds the file's order local, no renumbering can follow: the
    // worker then starts now, on the file's order, and counts the retainers and finds the owners
    // while this thread runs the distance search (as the constructor does for smaller graphs).
    // Otherwise it starts once the order is settled, on the arrays the analysis will use.
    // (No view of the graph is kept in this frame: it would keep the file-order arrays alive
    // through a renumbering.)
    // One search of the string table for WeakMap table edges, for every view of the graph. (A
    // module-level cache of it by string table was what heapy's own assertNoLeak found growing.)
    const tables = weakMapTableEdgeNames(raw.strings);
    const mayRenumber = mode === 'always' || probeScattered(graphOf(raw, raw.strings, raw.meta.rootOrdinal, tables)) > 0.5;
    const prepared = mayRenumber ? null : prepareAnalysis(raw, graphOf(raw, raw.strings, raw.meta.rootOrdinal, tables), parallel, level, ownersInPlaceAbove);
    let known: { distance: Uint32Array; order: NodeOrder };
    try {
      known = distancesAndOrder(raw, mayRenumber ? mode : 'never-after-measure', parallel, options.onProgress);
    } catch (err) {
      prepared?.helper?.stop();
      throw err;
    }
    // Balanced linking costs 8 more bytes a node; past BALANCED_MAX_NODES the memory is worth more
    // than its time (70 M nodes: 190 -> 178 s, but 5.65 -> 6.27 GB peak, over the 24 GiB bench
    // machine's comfort on the 10 GB files).
    const scattered = known.order.measure !== null && known.order.measure.scattered > 0.5 && !known.order.renumbered && N <= BALANCED_MAX_NODES;
    const linking = options.linking === undefined || options.linking === 'auto' ? (scattered ? 'balanced' : 'simple') : options.linking;
    return new HeapSnapshot(raw, options.onProgress, parallel, level, linking, ownersInPlaceAbove, { ...known, prepared: known.order.renumbered ? null : prepared, weakMapTables: tables });
  }

  /**
   * Builds the derived indexes using a second thread for the forward-only passes when the arrays
   * are on SharedArrayBuffers (as the parser makes them for big files); else the same as analyze().
   * Synchronous, like analyze(): this thread blocks in Atomics.wait whenever it is ahead of the
   * worker, which on the 100 and 200 MB bench files was 0.1-11 ms a load (272 ms once, while other
   * work held a core): the event loop would get next to nothing from Atomics.waitAsync, and this
   * method would have to be cut into async steps around every wait.
   */
  static analyzeParallel(raw: RawSnapshot, options: AnalyzeOptions = {}): HeapSnapshot {
    return HeapSnapshot.build(raw, options, true);
  }

  /** The string table entry at index i. */
  string(i: number): string {
    return this.stringTable.get(i);
  }

  /** Index of the string `s` in the table (V8 writes each string once), or -1. */
  stringIndex(s: string): number {
    return this.stringTable.indexOf(s);
  }

  /** Indexes of the strings that contain the ASCII text `needle` (a byte search, no decoding). */
  stringsContaining(needle: string): number[] {
    return this.stringTable.containing(needle);
  }

  /** The node's raw name (constructor name for objects, the value for strings). */
  nodeNameString(ord: number): string {
    return this.stringTable.get(this.nodeName[ord]!);
  }

  /** The node's V8 type name ("object", "closure", "hidden", ...). */
  nodeTypeName(ord: number): string {
    return this.meta.nodeTypes[this.nodeType[ord]!] ?? 'unknown';
  }

  /** The edge's type name ("property", "element", "internal", ...). */
  edgeTypeName(e: number): string {
    return this.meta.edgeTypes[this.edgeType[e]!] ?? 'unknown';
  }

  /** True when the edge's name_or_index is a number rather than a string index. */
  edgeHasIndex(e: number): boolean {
    const t = this.edgeType[e];
    return t === this.types.edgeElement || t === this.types.edgeHidden;
  }

  /** The edge's name: the property name, or the index as a decimal string. */
  edgeNameString(e: number): string {
    return this.edgeHasIndex(e) ? String(this.edgeName[e]) : this.stringTable.get(this.edgeName[e]!);
  }

  /** The node's self size in bytes. */
  selfSize(ord: number): number {
    return this.nodeSelfSize[ord]!;
  }

  /**
   * DevTools' class name of a node: the constructor name for objects and native nodes (DOM nodes
   * shortened to `<div>`, natives V8 marks detached prefixed `Detached `), `Function` and `RegExp`
   * for closures and regexps, `(system)` for hidden nodes, `(compiled code)` for code, `(type)`
   * for the rest.
   */
  className(ord: number): string {
    const t = this.nodeType[ord]!;
    const ty = this.types;
    if (t === ty.object || t === ty.native) {
      let name = this.nodeNameString(ord);
      if (name.startsWith('<')) {
        const space = name.indexOf(' ');
        if (space !== -1) name = name.slice(0, space) + '>';
      }
      // detachedness: 0 unknown, 1 attached, 2 detached (V8's EmbedderGraph::Node::Detachedness).
      if (t === ty.native && this.nodeDetachedness !== null && this.nodeDetachedness[ord] === 2) name = 'Detached ' + name;
      return name;
    }
    if (t === ty.closure) return 'Function';
    if (t === ty.regexp) return 'RegExp';
    if (t === ty.hidden) return '(system)';
    if (t === ty.code) return '(compiled code)';
    return `(${this.meta.nodeTypes[t] ?? 'unknown'})`;
  }

  /** The node ordinal of a V8 object id, or -1. Works past 2^24 nodes (no Map). */
  ordinalOfId(id: number): number {
    const order = (this.idOrder ??= this.sortById());
    const ids = this.nodeId;
    let lo = 0;
    let hi = order.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const o = order[mid]!;
      const v = ids[o]!;
      if (v === id) return o;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Ordinals sorted by id, by a two-pass LSD radix sort on 16-bit digits (no comparator calls). */
  private sortById(): Uint32Array {
    const n = this.nodeCount;
    const ids = this.nodeId;
    let a = new Uint32Array(n);
    let b = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let shift = 0; shift < 32; shift += 16) {
      const counts = new Uint32Array(65537);
      for (let i = 0; i < n; i++) counts[((ids[a[i]!]! >>> shift) & 0xffff) + 1]!++;
      for (let k = 1; k <= 65536; k++) counts[k]! += counts[k - 1]!;
      for (let i = 0; i < n; i++) {
        const o = a[i]!;
        b[counts[(ids[o]! >>> shift) & 0xffff]!++] = o;
      }
      const t = a;
      a = b;
      b = t;
    }
    return a;
  }

  /** True if the retainer entry k counts for dominators. */
  retainerIsEssential(k: number): boolean {
    return (this.retainerFlags[k]! & INESSENTIAL) === 0;
  }

  /** True if the retainer entry k is not a weak edge. */
  retainerIsStrong(k: number): boolean {
    return (this.retainerFlags[k]! & WEAK) === 0;
  }

  /** The retaining node of retainer entry k. */
  retainerNode(k: number): number {
    return this.retainers[k]! & ORDINAL_MASK;
  }

  /**
   * Spreads the embedder's attached/detached marks (1/2) through native nodes, as DevTools does:
   * whatever an attached node reaches is attached; whatever only detached nodes reach is detached.
   * JavaScript objects stop the spread: every way into embedder code is a native node that knows
   * its own state.
   */
  private propagateDetachedness(state: Uint8Array): void {
    const N = this.nodeCount;
    const { nodeType, firstEdge, edgeType, edgeTo } = this;
    const native = this.types.native;
    const { edgeHidden, edgeWeak } = this.types;
    const visited = new Uint8Array(N);
    const attached: number[] = [];
    const detached: number[] = [];
    const visit = (v: number, s: number) => {
      if (visited[v]) return;
      visited[v] = 1;
      if (nodeType[v] !== native) return;
      state[v] = s;
      if (s === 1) attached.push(v);
      else if (s === 2) detached.push(v);
    };
    const spread = (v: number, s: number) => {
      for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) {
        const t = edgeType[e];
        if (t === edgeHidden || t === edgeWeak) continue;
        visit(edgeTo[e]!, s);
      }
    };
    for (let v = 0; v < N; v++) if (state[v] !== 0) visit(v, state[v]!);
    while (attached.length > 0) spread(attached.pop()!, 1);
    while (detached.length > 0) {
      const v = detached.pop()!;
      if (state[v] !== 1) spread(v, 2);
    }
  }
}

/**
 * The distances, and the snapshot renumbered into their search's order when `mode` says so (see
 * HeapSnapshot.build). A function of its own so that the search's order (4 bytes a node) is
 * garbage once it returns, before the dominator pass makes the peak.
 */
function distancesAndOrder(
  raw: RawSnapshot,
  mode: RenumberMode | 'never-after-measure',
  parallel: boolean,
  onProgress: ProgressCallback | undefined,
): { distance: Uint32Array; order: NodeOrder } {
  const N = raw.nodeCount;
  onProgress?.('distances', 0, 1);
  let distance: Uint32Array = new Uint32Array(N);
  const bfs = searchOf(raw, distance);
  const measured = mode === 'always' ? null : shouldRenumber(bfs, N);
  const renumbered = mode === 'always' || (mode === 'auto' && measured!.renumber);
  // After a probe that found the order local, the full search's measure is kept for the record,
  // with the decision that was taken.
  const measure = measured && { ...measured, renumber: renumbered };
  if (renumbered) {
    onProgress?.('renumbering', 0, 1);
    distance = renumberSnapshot(raw, bfs, distance, parallel);
    // The old arrays are garbage now: free them before the dominator pass makes the peak.
    if (N >= BIG_GRAPH_NODES) collectGarbageNow();
  }
  return { distance, order: { renumbered, measure } };
}

/** The distance search over `raw`'s arrays as they are now; the view of the graph dies with this call. */
function searchOf(raw: RawSnapshot, distance: Uint32Array): BreadthFirstOrder {
  return computeDistances(graphOf(raw, raw.strings, raw.meta.rootOrdinal, new Map()), distance);
}

/**
 * Graphs above this many nodes get their owners after the dominator pass, in its memory (see
 * prepareAnalysis): the pass then ends a few seconds later, for 4 bytes a node less at the peak.
 */
const OWNERS_IN_DFNUM_NODES = 1 << 25;

/** Graphs above this many nodes keep simple linking in 'auto' (see HeapSnapshot.build). */
const BALANCED_MAX_NODES = 1 << 25;

/** What the constructor gets from HeapSnapshot.build: the distances, and the arrays and worker made before them. */
interface KnownDistances {
  readonly distance: Uint32Array;
  readonly order: NodeOrder;
  /** Null when the snapshot was renumbered after they were made. */
  readonly prepared: Prepared | null;
  readonly weakMapTables: ReadonlyMap<number, number>;
}

/** The analysis's own arrays, and the worker that fills some of them (big full analyses). */
interface Prepared {
  /** Null when the worker is to write the owners into dfnum's memory (huge graphs). */
  readonly owner: Uint32Array | null;
  readonly firstRetainer: Uint32Array;
  readonly retainers: Uint32Array;
  readonly reachable: Uint8Array;
  readonly helper: AnalysisHelper | undefined;
}

/**
 * Allocates the analysis's arrays and, for a full analysis of a big snapshot (its arrays on
 * SharedArrayBuffers), starts the worker: it counts the retainers and finds the owners while this
 * thread computes distances, then fills the reverse graph while this one runs the dominator tree's
 * depth-first search (see analysis-worker.ts).
 */
function prepareAnalysis(raw: ParsedSnapshot, g: ReverseGraph, parallel: boolean, level: AnalysisLevel, ownersInPlaceAbove: number): Prepared {
  const N = raw.nodeCount;
  const full = level === 'full';
  // A light analysis runs on this thread: the worker's share then is counting the retainers and
  // finding the owners, 90 ms of 1.5 M nodes, less than starting it and waiting for it took
  // (140-190 ms after parsing against 100-110 ms on one thread, three runs each).
  const shared = parallel && full && [raw.nodeType, raw.nodeName, raw.nodeId, raw.firstEdge, raw.edgeType, raw.edgeName, raw.edgeTo].every((a) => a.buffer instanceof SharedArrayBuffer);
  const sab = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  // Huge graphs: the owners wait until the dominator pass is done with its DFS numbers and go into
  // their memory (4 bytes a node less at the peak: 280 MB of 5.6 GB on 70 M nodes); elsewhere they
  // are found while this thread computes distances or runs the semidominator loop.
  const owner = shared && N > ownersInPlaceAbove ? null : new Uint32Array(sab(N * 4));
  // A light analysis makes the reverse graph only when it is read (fillReverseGraph).
  const firstRetainer = new Uint32Array(sab(full ? (N + 1) * 4 : 0));
  const retainers = new Uint32Array(sab(full ? raw.edgeCount * 4 : 0));
  const reachable = new Uint8Array(sab(N));
  const helper = shared
    ? startAnalysisWorker({
        graph: g,
        owner,
        firstRetainer,
        retainers,
        reachable,
        dfnum: new Uint32Array(sab((N + 1) * 4)),
        vertex: new Uint32Array(sab((N + 1) * 4)),
      })
    : undefined;
  return { owner, firstRetainer, retainers, reachable, helper };
}

/** The graph the passes read, from a parsed snapshot's arrays (before or after renumbering). */
function graphOf(p: ParsedSnapshot, strings: StringTable, rootOrdinal: number, weakMapTables: ReadonlyMap<number, number>): ReverseGraph {
  const t = p.types;
  return {
    edgeName: p.edgeName,
    nodeId: p.nodeId,
    shortcutEdgeType: t.edgeShortcut,
    internalEdgeType: t.edgeInternal,
    weakMapTables,
    nodeCount: p.nodeCount,
    rootOrdinal,
    nodeType: p.nodeType,
    nodeName: p.nodeName,
    firstEdge: p.firstEdge,
    edgeType: p.edgeType,
    edgeTo: p.edgeTo,
    hiddenType: t.hidden,
    arrayType: t.array,
    nativeType: t.native,
    syntheticType: t.synthetic,
    weakEdgeType: t.edgeWeak,
    externalStringData: strings.indexOf('system / ExternalStringData'),
    domTreesRoot: strings.indexOf('(Document DOM trees)'),
  };
}

/**
 * WeakMap values are retained by the key and by the table together; as DevTools does, the
 * table's edge is left out of the dominator tree. Maps string index → the table's node id.
 */
function weakMapTableEdgeNames(strings: StringTable): Map<number, number> {
  const result = new Map<number, number>();
  const re = /^\d+ \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$/;
  for (const i of strings.containing('pair in WeakMap')) {
    const m = re.exec(strings.get(i));
    if (m) result.set(i, Number(m[1]));
  }
  return result;
}

/** The analysis worker, seen from the main thread, which waits for it without an event loop. */
interface AnalysisHelper extends RemapHelper {
  /** Lets the worker run `step` (see analysis-worker.ts). */
  allow(step: number): void;
  /** Blocks until the worker has finished `stage`; throws its error. */
  waitFor(stage: number): void;
  /** Blocks until the worker has found the owners. */
  waitForOwners(): void;
  /** Forgets dfnum and vertex (the worker keeps what it still needs until it exits). */
  dropArrays(): void;
  /** Ends the worker (it exits by itself once done). */
  stop(): void;
}

// How long the main thread waits for the worker to start before it calls that a failure: a worker
// that cannot load its module never reports, and its 'error' event cannot arrive while this
// thread is blocked.
const WORKER_START_LIMIT_MS = 120_000;

function startAnalysisWorker(arrays: Omit<AnalysisWorkerInput, 'control' | 'errors'>): AnalysisHelper {
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
  const { port1, port2 } = new MessageChannel();
  const input: AnalysisWorkerInput = { ...arrays, control, errors: port2 };
  const worker = new Worker(new URL('./analysis-worker.js', import.meta.url), { workerData: input, transferList: [port2] });
  worker.unref();
  const stepOf = (step: 'dfs' | 'ordinals') => (step === 'dfs' ? STEP_TO_DFS : STEP_TO_ORDINALS);
  // Held here only until the dominator pass is over: a helper kept for a deferred step must not keep
  // 8 bytes a node alive.
  let own: { dfnum: Uint32Array; vertex: Uint32Array } | null = { dfnum: arrays.dfnum, vertex: arrays.vertex };
  const helper: AnalysisHelper = {
    get dfnum() {
      return own!.dfnum;
    },
    get vertex() {
      return own!.vertex;
    },
    dropArrays() {
      own = null;
    },
    allow(step) {
      Atomics.store(control, GO, step);
      Atomics.notify(control, GO);
    },
    waitFor(stage) {
      const started = Date.now();
      for (;;) {
        const now = Atomics.load(control, STAGE);
        if (now >= stage) return;
        if (now === STAGE_FAILED) {
          const m = receiveMessageOnPort(port1);
          throw new HeapyError(`the analysis worker failed: ${String(m?.message ?? 'no message')}`, ExitCode.internal);
        }
        if (now === STAGE_NOT_STARTED && Date.now() - started > WORKER_START_LIMIT_MS) {
          throw new HeapyError('the analysis worker did not start', ExitCode.internal);
        }
        Atomics.wait(control, STAGE, now, 1000);
      }
    },
    start(step) {
      helper.allow(stepOf(step));
    },
    waitForOwners() {
      for (;;) {
        if (Atomics.load(control, OWNERS_DONE) === 1) return;
        // A failure is reported on STAGE; waitFor throws it.
        if (Atomics.load(control, STAGE) === STAGE_FAILED) helper.waitFor(Number.MAX_SAFE_INTEGER);
        Atomics.wait(control, OWNERS_DONE, 0, 1000);
      }
    },
    wait(step) {
      helper.waitFor(stepOf(step) + 1);
    },
    stop() {
      if (Atomics.load(control, STAGE) < STEP_TO_ORDINALS + 1) helper.allow(STEP_STOP);
      port1.close();
      void worker.terminate();
    },
  };
  return helper;
}
