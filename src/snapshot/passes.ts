/**
 * Analysis passes that only read the forward graph, as plain functions over typed arrays: they
 * run on the main thread for small snapshots and in a worker (analysis-worker.ts) alongside the
 * dominator computation for big ones.
 */
import type { MessagePort } from 'node:worker_threads';

/** Distance of a node that no strong path reaches. */
export const NO_DISTANCE = 0xffffffff;
/** Marks "no node" in ordinal arrays. */
export const NO_NODE = 0xffffffff;
/**
 * Distances of nodes reached only through the system roots start here (as in DevTools), so that a
 * shortest path prefers the user's global objects over V8's internal root lists.
 */
export const SYSTEM_DISTANCE_BASE = 100_000_000;

/** The forward graph and the type ids the passes need; arrays may live on SharedArrayBuffers. */
export interface ForwardGraph {
  readonly nodeCount: number;
  readonly rootOrdinal: number;
  readonly nodeType: Uint8Array;
  readonly nodeName: Uint32Array;
  readonly firstEdge: Uint32Array;
  readonly edgeType: Uint8Array;
  readonly edgeTo: Uint32Array;
  readonly hiddenType: number;
  readonly arrayType: number;
  readonly nativeType: number;
  readonly syntheticType: number;
  readonly weakEdgeType: number;
  /** String index of 'system / ExternalStringData', or -1. */
  readonly externalStringData: number;
  /** String index of Chromium's '(Document DOM trees)' root, or -1. */
  readonly domTreesRoot: number;
}

/**
 * BFS distances over non-weak edges into `distance`: first from the user's roots (the root's
 * non-synthetic children, the global objects, and Chromium's DOM trees; distance 1), then from the
 * root for whatever is left, offset by SYSTEM_DISTANCE_BASE (DevTools does the same). What the
 * first round reaches is what DevTools calls page-owned: see userReachable().
 *
 * Returns the search's visiting order (every node with a distance, each once) and about how many
 * nodes it met by more than one strong edge: what renumber.ts needs to tell whether the file's node
 * order is worth replacing by this one.
 */
export function computeDistances(g: ForwardGraph, distance: Uint32Array): BreadthFirstOrder {
  const n = g.nodeCount;
  distance.fill(NO_DISTANCE);
  const queue = new Uint32Array(n);
  const { firstEdge, edgeType, edgeTo, nodeType } = g;
  const weak = g.weakEdgeType;
  const root = g.rootOrdinal;
  let head = 0;
  let tail = 0;
  for (let e = firstEdge[root]!, end = firstEdge[root + 1]!; e < end; e++) {
    const to = edgeTo[e]!;
    const userRoot = nodeType[to] !== g.syntheticType || (g.domTreesRoot >= 0 && g.nodeName[to] === g.domTreesRoot);
    if (userRoot && distance[to] === NO_DISTANCE && edgeType[e] !== weak) {
      distance[to] = 1;
      queue[tail++] = to;
    }
  }
  // One bit a node for "has a distance", tested for every edge: unlike `distance` it mostly stays
  // in the CPU's cache (1.8 MB for 14 M nodes).
  const seen = new Uint32Array((n >>> 5) + 1);
  for (let i = 0; i < tail; i++) seen[queue[i]! >>> 5]! |= 1 << (queue[i]! & 31);
  // Every 64th node gets a second bit, "met again", set when an edge finds it numbered already:
  // the share of nodes with several strong retainers, estimated at a 64th of the cost (counting
  // every node, in a second bit beside the first, made the search 25-35% slower on 10 M nodes).
  const metAgain = new Uint32Array((n >>> 11) + 1);
  let shared = 0;
  // Distances by level: the queue holds one level after another, so the next level's distance is
  // known without reading distance[v] (a random read a node on a scattered heap).
  let d = 2;
  let levelEnd = tail;
  for (let round = 0; round < 2; round++) {
    while (head < tail) {
      if (head === levelEnd) {
        d++;
        levelEnd = tail;
      }
      const v = queue[head++]!;
      for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) {
        if (edgeType[e] === weak) continue;
        const to = edgeTo[e]!;
        const bit = 1 << (to & 31);
        if ((seen[to >>> 5]! & bit) !== 0) {
          if ((to & 63) === 0) {
            const sample = to >>> 6;
            const sbit = 1 << (sample & 31);
            if ((metAgain[sample >>> 5]! & sbit) === 0) {
              metAgain[sample >>> 5]! |= sbit;
              shared++;
            }
          }
          continue;
        }
        seen[to >>> 5]! |= bit;
        distance[to] = d;
        queue[tail++] = to;
      }
    }
    if (round === 0) {
      seen[root >>> 5]! |= 1 << (root & 31);
      distance[root] = tail > 0 ? SYSTEM_DISTANCE_BASE : 0;
      d = distance[root]! + 1;
      levelEnd = tail + 1;
      queue[tail++] = root;
    }
  }
  // Every 64th node was watched: scale the count to the graph.
  return { order: queue.subarray(0, tail), shared: Math.min(n, shared * 64) };
}

/** What computeDistances returns besides the distances. */
export interface BreadthFirstOrder {
  /** The nodes in the order the search numbered them (the root after the user roots' part). */
  readonly order: Uint32Array;
  /** Nodes with more than one strong retainer (an edge met them after they had a distance), estimated from every 64th node. */
  readonly shared: number;
}

/**
 * Owners of internal stores into `owners`, as DevTools computes them: hidden and array nodes (and
 * external string data) reachable by strong edges from exactly one non-store node are owned by it,
 * so their bytes can be shown as "properties of Foo" instead of as anonymous arrays. NO_NODE for
 * nodes without an owner.
 */
export function computeOwners(g: ForwardGraph, owners: Uint32Array): void {
  const N = g.nodeCount;
  const UNVISITED = 0xffffffff;
  const MULTIPLE = 0xfffffffe;
  const { nodeType, nodeName, firstEdge, edgeType, edgeTo } = g;
  const { hiddenType: hidden, arrayType: array, nativeType: native, syntheticType: synthetic, weakEdgeType: weak } = g;
  const externalStringData = g.externalStringData;
  // Only stores go on the stack (each at most twice: unvisited -> owned -> multiple); the owners
  // themselves are visited in node order. The result does not depend on the order: a store's owner
  // is the one non-store node every strong store-only path to it starts from.
  let stack = new Uint32Array(1 << 16);
  let sp = 0;
  const push = (v: number) => {
    if (sp === stack.length) {
      const bigger = new Uint32Array(stack.length * 2);
      bigger.set(stack);
      stack = bigger;
    }
    stack[sp++] = v;
  };
  for (let i = 0; i < N; i++) {
    const t = nodeType[i];
    owners[i] = t === hidden || t === array || (t === native && nodeName[i] === externalStringData) ? UNVISITED : i;
  }
  const visit = (v: number) => {
    const o = owners[v]!;
    for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) {
      if (edgeType[e] === weak) continue;
      const to = edgeTo[e]!;
      const cur = owners[to]!;
      if (cur === UNVISITED) {
        owners[to] = o;
        push(to);
      } else if (cur !== to && cur !== o && cur !== MULTIPLE) {
        owners[to] = MULTIPLE;
        push(to);
      }
    }
  };
  for (let i = 0; i < N; i++) {
    if (owners[i] !== i) continue;
    visit(i);
    while (sp > 0) visit(stack[--sp]!);
  }
  const root = g.rootOrdinal;
  for (let i = 0; i < N; i++) {
    const o = owners[i]!;
    if (o === UNVISITED || o === MULTIPLE || o === i || o === root || nodeType[o] === synthetic) owners[i] = NO_NODE;
  }
}

/**
 * 1 in `flags` for the nodes the first round of computeDistances reached: those the user's roots
 * reach. A snapshot without user roots (Chromium's: the root's one child is `(GC roots)`) has its
 * root at distance 0 and every node in the second round; DevTools then counts no node as
 * page-owned, and so does this: all flags 0 (see docs/definitions.md, "Snapshots without user roots").
 */
export function userReachable(distance: Uint32Array, flags: Uint8Array): void {
  const n = distance.length;
  // Only the root of a snapshot without user roots is at distance 0.
  if (distance.indexOf(0) !== -1) {
    flags.fill(0);
    return;
  }
  for (let i = 0; i < n; i++) flags[i] = distance[i]! < SYSTEM_DISTANCE_BASE ? 1 : 0;
}

/** Top bit of a retainer entry: the edge does not count for dominators (weak, shortcut, ...). */
export const INESSENTIAL = 0x80000000;
/** Next bit: the edge is weak. Ordinals therefore stay below 2^30 (checked by the parser). */
export const WEAK = 0x40000000;
/** The ordinal part of a retainer entry. */
export const ORDINAL_MASK = 0x3fffffff;

/** What the reverse-graph and dominator passes read besides the forward graph. */
export interface ReverseGraph extends ForwardGraph {
  readonly edgeName: Uint32Array;
  readonly nodeId: Uint32Array;
  readonly shortcutEdgeType: number;
  readonly internalEdgeType: number;
  /** WeakMap table edges (internal edges): edge name string index -> the table's node id. */
  readonly weakMapTables: ReadonlyMap<number, number>;
}

/**
 * Counts each node's retainers into `firstRetainer` (length nodeCount + 1, zeroed) and turns the
 * counts into running totals: entry i ends up as the end of node i's range. fillRetainers counts
 * them back down to the starts, so no second array of cursors is needed.
 */
export function countRetainers(g: ReverseGraph, firstRetainer: Uint32Array): void {
  const n = g.nodeCount;
  const edgeTo = g.edgeTo;
  const E = g.firstEdge[n]!;
  for (let e = 0; e < E; e++) firstRetainer[edgeTo[e]!]!++;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += firstRetainer[i]!;
    firstRetainer[i] = sum;
  }
  firstRetainer[n] = sum;
}

/** What {@link isEssentialEdge} reads besides the edge itself: built once a pass by {@link essentialEdgeRule}. */
export interface EssentialEdgeRule {
  readonly root: number;
  readonly weak: number;
  readonly shortcut: number;
  readonly internal: number;
  /** 1 for the nodes the user's roots reach (see userReachable). */
  readonly reachable: Uint8Array;
  /** False when the snapshot has no WeakMap table edges: the common case skips the Map lookup. */
  readonly checkWeakMap: boolean;
  readonly weakMapTables: ReadonlyMap<number, number>;
  readonly edgeName: Uint32Array;
  readonly nodeId: Uint32Array;
}

/** The rule's inputs for graph `g` and the `reachable` flags of userReachable. */
export function essentialEdgeRule(g: ReverseGraph, reachable: Uint8Array): EssentialEdgeRule {
  return {
    root: g.rootOrdinal,
    weak: g.weakEdgeType,
    shortcut: g.shortcutEdgeType,
    internal: g.internalEdgeType,
    reachable,
    checkWeakMap: g.weakMapTables.size > 0,
    weakMapTables: g.weakMapTables,
    edgeName: g.edgeName,
    nodeId: g.nodeId,
  };
}

/**
 * The one rule for which edges count for dominators and retained sizes, used by both the reverse
 * graph (fillRetainers flags the others INESSENTIAL) and the dominator tree's depth-first search
 * (which follows only these): two copies that drifted would give wrong dominators silently.
 * Edge `e` of type `type` from `from` to `to` counts unless it is weak, a self edge, a shortcut not
 * from the root, an edge from a node the user's roots do not reach into one they do (as DevTools
 * does, so that objects V8's root lists also hold are attributed to the user's objects; the root's
 * own edges are exempt), or a WeakMap table edge (the value is held by key and table together).
 * `fromReachable` is `rule.reachable[from]`, which the callers read once a node; it is tested
 * before `reachable[to]`, a random read that most edges (from reachable nodes) then skip.
 * V8 inlines this into both loops. Measured against the two inline copies it replaced (200 MB
 * bench file, 31 interleaved rounds in one process, CPU time): fillRetainers 0.95x, the dominator
 * pass 0.99x; the rule's fields as ten arguments instead of one object were 5-9% slower.
 */
export function isEssentialEdge(rule: EssentialEdgeRule, from: number, fromReachable: number, e: number, type: number, to: number): boolean {
  if (type === rule.weak || to === from) return false;
  if (from !== rule.root && (type === rule.shortcut || (fromReachable === 0 && rule.reachable[to] !== 0))) return false;
  return !(rule.checkWeakMap && type === rule.internal && rule.weakMapTables.get(rule.edgeName[e]!) === rule.nodeId[from]);
}

/**
 * Fills the reverse graph after countRetainers: node i is retained by entries
 * firstRetainer[i] .. firstRetainer[i+1]-1, in the order of the edges. Each entry is the retaining
 * ordinal, with INESSENTIAL set for the edges {@link isEssentialEdge} rejects and WEAK for weak
 * edges.
 */
export function fillRetainers(g: ReverseGraph, reachable: Uint8Array, firstRetainer: Uint32Array, retainers: Uint32Array): void {
  const n = g.nodeCount;
  const { firstEdge, edgeType, edgeTo } = g;
  const weak = g.weakEdgeType;
  const rule = essentialEdgeRule(g, reachable);
  // Backwards, counting the cursors down: entries keep the order of their edges.
  for (let v = n - 1; v >= 0; v--) {
    const vFlag = reachable[v]!;
    for (let e = firstEdge[v + 1]! - 1, start = firstEdge[v]!; e >= start; e--) {
      const to = edgeTo[e]!;
      const t = edgeType[e]!;
      retainers[--firstRetainer[to]!] = isEssentialEdge(rule, v, vFlag, e, t, to) ? v : (v | INESSENTIAL | (t === weak ? WEAK : 0)) >>> 0;
    }
  }
}

// The two-thread analysis protocol (graph.ts on the main thread, analysis-worker.ts on the second):
// kept here, beside the passes it schedules, so the main thread loads no module of the worker.

/** Slot of the control array holding the last step the worker finished (or STAGE_FAILED). */
export const STAGE = 0;
/** Slot holding the last step the main thread allows the worker to run, or STEP_STOP. */
export const GO = 1;
/** Slot the worker sets to 1 once the owners are found (before or after filling the reverse graph). */
export const OWNERS_DONE = 2;
/** Slots in the control array. */
export const CONTROL_SLOTS = 3;
/** control[STAGE] before the worker runs. */
export const STAGE_NOT_STARTED = 0;
/** control[STAGE] once the retainers are counted and the owners found. */
export const STAGE_READY = 1;
/** control[STAGE] when something threw: the message is on `errors`. */
export const STAGE_FAILED = -1;
/** Step 1: fill the reverse graph (once `reachable` is filled in). Done: STAGE = 2. */
export const STEP_FILL = 1;
/** Step 2: write DFS numbers into the second half of the retainer entries. Done: STAGE = 3. */
export const STEP_TO_DFS = 2;
/** Step 3: turn the second half back into ordinals. Done: STAGE = 4. */
export const STEP_TO_ORDINALS = 3;
/** control[GO] to end the worker early. */
export const STEP_STOP = -1;

/** What the main thread passes in. */
export interface AnalysisWorkerInput {
  readonly graph: ReverseGraph;
  /**
   * Where the owners go; null: into `dfnum`'s memory once the main thread allows STEP_TO_ORDINALS,
   * which it does after the dominator pass has last read `dfnum` (huge graphs: see
   * OWNERS_IN_DFNUM_NODES in graph.ts). The owners then take no memory of their own at the peak.
   */
  readonly owner: Uint32Array | null;
  readonly firstRetainer: Uint32Array;
  readonly retainers: Uint32Array;
  /** Filled by the main thread: 1 for nodes the user's roots reach. */
  readonly reachable: Uint8Array;
  /** The dominator pass's DFS numbers and vertex order (length nodeCount + 1). */
  readonly dfnum: Uint32Array;
  readonly vertex: Uint32Array;
  readonly control: Int32Array;
  readonly errors: MessagePort;
}
