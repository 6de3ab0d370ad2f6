/**
 * The dominator tree and retained sizes, by the Lengauer–Tarjan algorithm in its semi-NCA form
 * (semidominators with path compression, then immediate dominators as nearest common ancestors),
 * iterative throughout. A plain function over typed arrays, like the passes in passes.ts.
 */
import type { ProgressCallback } from './raw.js';
import { essentialEdgeRule, INESSENTIAL, isEssentialEdge, NO_NODE, ORDINAL_MASK, type ReverseGraph } from './passes.js';

/**
 * Another thread that renumbers the second half of the retainer entries (see secondHalf) while
 * this one does the first: `start` tells it to begin, `wait` blocks until it is done.
 */
export interface RemapHelper {
  /** The DFS numbers and the vertex order the helper reads: computeDominators fills these. */
  readonly dfnum: Uint32Array;
  readonly vertex: Uint32Array;
  start(step: 'dfs' | 'ordinals'): void;
  wait(step: 'dfs' | 'ordinals'): void;
}

/** The reverse graph, as fillRetainers leaves it. */
export interface Retainers {
  readonly firstRetainer: Uint32Array;
  readonly retainers: Uint32Array;
}

/**
 * Computes immediate dominators (ordinals; the root's is NO_NODE) and retained sizes.
 *
 * The depth-first search from the root only reads the forward graph, so the reverse graph may still
 * be under construction on another thread: `retainers()` is called once the search from the root is
 * done and must return it complete. Nodes the root does not reach are hung under the root, as
 * DevTools does: first those whose only retainers are inessential (with what they reach), then any
 * leftover cycle one by one. `onProgress` hears ('dominators', done, 2 * nodeCount) every 2^20
 * vertices: the depth-first search is the first half, the semidominator loop the second.
 */
export function computeDominators(
  g: ReverseGraph,
  reachable: Uint8Array,
  selfSize: Uint32Array | Float64Array,
  retainers: () => Retainers,
  helper?: RemapHelper,
  onProgress?: ProgressCallback,
): { dominator: Uint32Array; retainedSize: Float64Array } {
  const N = g.nodeCount;
  const { firstEdge, edgeTo, edgeType } = g;
  const root = g.rootOrdinal;
  const rule = essentialEdgeRule(g, reachable);
  // DFS numbers are 1-based; 0 means "not visited" / "no vertex". Once every node is numbered and
  // the retainer entries hold DFS numbers, this array becomes `semi`, then `idom`.
  const dfnum = helper?.dfnum ?? new Uint32Array(N + 1);
  const vertex = helper?.vertex ?? new Uint32Array(N + 1);
  const parent = new Uint32Array(N + 1);
  // The link-eval forest, one record of two words a vertex (by DFS number): link[2v] is v's
  // ancestor in the forest (0 for a tree's root), link[2v + 1] the least semidominator on v's
  // compressed path (Lengauer-Tarjan's semi[label[v]], kept by value: the loop never needs the
  // label itself). On a scattered heap nearly every step of a path is a cache miss; with the two
  // words side by side a step touches one record instead of three arrays (ancestor, label, semi).
  // Measured on a 10 M-node scattered file (bench/gen-scattered-heap.mjs --locality 0): 66 M
  // compression steps for 8.8 M evaluations; the climb is one dependent miss a step either way,
  // so this layout saved little there (within the noise of a loaded machine), at the same memory.
  // The same buffer becomes the Float64 retained sizes once the immediate dominators are known.
  const scratch = new ArrayBuffer(8 * (N + 1));
  const link = new Uint32Array(scratch);
  // During the DFS link[2v] holds open vertex v's next edge; it is cleared before linking.
  let n = 0;
  const report = onProgress ?? (() => {});
  const PROGRESS_EVERY = 0xfffff;

  // One bit a node for "numbered": the search tests it for every edge, and at 1/32 of `dfnum`'s
  // size it mostly stays in the CPU's cache (1.8 MB for 14 M nodes) where dfnum would not.
  const seen = new Uint32Array((N >>> 5) + 1);
  const dfs = (start: number, startParent: number) => {
    n++;
    const first = n;
    dfnum[start] = n;
    seen[start >>> 5]! |= 1 << (start & 31);
    vertex[n] = start;
    parent[n] = startParent;
    link[2 * n] = firstEdge[start]!;
    let cur = n;
    while (cur >= first) {
      const v = vertex[cur]!;
      const end = firstEdge[v + 1]!;
      const vReachable = reachable[v]!;
      let e = link[2 * cur]!;
      let next = 0;
      for (; e < end; e++) {
        const to = edgeTo[e]!;
        if ((seen[to >>> 5]! & (1 << (to & 31))) !== 0) continue;
        // The edges fillRetainers flags as inessential are not tree edges (the same rule).
        if (!isEssentialEdge(rule, v, vReachable, e, edgeType[e]!, to)) continue;
        n++;
        if ((n & PROGRESS_EVERY) === 0) report('dominators', n, 2 * N);
        dfnum[to] = n;
        seen[to >>> 5]! |= 1 << (to & 31);
        vertex[n] = to;
        parent[n] = cur;
        const toFirst = firstEdge[to]!;
        link[2 * n] = toFirst;
        // A node without edges is done as soon as it is numbered: stay on this one.
        if (toFirst === firstEdge[to + 1]) continue;
        next = n;
        e++;
        break;
      }
      link[2 * cur] = e;
      cur = next !== 0 ? next : parent[cur]!;
    }
  };
  dfs(root, 0);
  const { firstRetainer, retainers: entries } = retainers();
  if (n < N) {
    // Nodes held only through inessential edges (weak ones, mostly): hang them under the root.
    for (let v = 0; v < N; v++) {
      if (dfnum[v] !== 0) continue;
      let onlyInessential = true;
      for (let k = firstRetainer[v]!, end = firstRetainer[v + 1]!; k < end; k++) {
        if ((entries[k]! & INESSENTIAL) === 0) {
          onlyInessential = false;
          break;
        }
      }
      if (onlyInessential) dfs(v, 1);
    }
    for (let v = 0; v < N; v++) {
      if (dfnum[v] !== 0) continue;
      n++;
      dfnum[v] = n;
      vertex[n] = v;
      parent[n] = 1;
    }
  }
  link.fill(0);
  // Every node has a DFS number now. Write DFS numbers into the retainer entries (flags kept), so
  // that the semidominator loop reads them directly and `dfnum` can become `semi`; the entries
  // are turned back into ordinals at the end.
  remapShared(entries, dfnum, 'dfs', helper);
  const semi = dfnum;

  // Path compression without recursion; the stack only grows as deep as one compressed path.
  // Returns the least semidominator on the path from linked vertex v up to its tree's root.
  let stack = new Uint32Array(1024);
  const evaluate = (v: number): number => {
    let sp = 0;
    let x = v;
    for (let a = link[2 * x]!; link[2 * a] !== 0; a = link[2 * x]!) {
      if (sp === stack.length) {
        const bigger = new Uint32Array(stack.length * 2);
        bigger.set(stack);
        stack = bigger;
      }
      stack[sp++] = x;
      x = a;
    }
    while (sp > 0) {
      const y = stack[--sp]!;
      const a = link[2 * y]!;
      const best = link[2 * a + 1]!;
      if (best < link[2 * y + 1]!) link[2 * y + 1] = best;
      link[2 * y] = link[2 * a]!;
    }
    return link[2 * v + 1]!;
  };

  for (let w = n; w >= 2; w--) {
    if ((w & PROGRESS_EVERY) === 0) report('dominators', 2 * N - w, 2 * N);
    const wOrd = vertex[w]!;
    let s = w;
    let hasPred = false;
    for (let k = firstRetainer[wOrd]!, end = firstRetainer[wOrd + 1]!; k < end; k++) {
      const r = entries[k]!;
      if ((r & INESSENTIAL) !== 0) continue;
      const v = r & ORDINAL_MASK;
      hasPred = true;
      // A retainer numbered before w is not processed yet, so it is its own semidominator
      // candidate: no memory to touch. Most retainers are (the tree edge, forward edges).
      if (v < w) {
        if (v < s) s = v;
        // Nothing is numbered below the root: no other retainer can lower this.
        if (s === 1) break;
        continue;
      }
      // A retainer numbered after w is linked already. evaluate() inlined for the common case: v
      // linked straight to a root of the forest (nothing to compress).
      const a = link[2 * v]!;
      const best = link[2 * a] === 0 ? link[2 * v + 1]! : evaluate(v);
      if (best < s) {
        s = best;
        if (s === 1) break;
      }
    }
    // A node with no essential retainer was hung under the root.
    if (!hasPred) s = 1;
    semi[w] = s;
    link[2 * w] = parent[w]!;
    link[2 * w + 1] = s;
  }
  // Immediate dominators (in DFS numbers), written over `semi` (each read before it is replaced).
  const idom = semi;
  idom[1] = 0;
  for (let w = 2; w <= n; w++) {
    let d = parent[w]!;
    const s = semi[w]!;
    while (d > s) d = idom[d]!;
    idom[w] = d;
  }
  const retainedSize = new Float64Array(scratch, 0, N);
  for (let i = 0; i < N; i++) retainedSize[i] = selfSize[i]!;
  // Children have larger DFS numbers than their dominators: accumulate from the last one.
  for (let w = n; w >= 2; w--) {
    retainedSize[vertex[idom[w]!]!]! += retainedSize[vertex[w]!]!;
  }
  // `parent` is free now: it becomes the dominator ordinals.
  const dominator = parent.subarray(0, N);
  dominator[vertex[1]!] = NO_NODE;
  for (let w = 2; w <= n; w++) dominator[vertex[w]!] = vertex[idom[w]!]!;
  remapShared(entries, vertex, 'ordinals', helper);
  return { dominator, retainedSize };
}

/** Where the helper's half of the retainer entries starts. */
export function secondHalf(entries: Uint32Array): number {
  return entries.length >>> 1;
}

/**
 * Replaces the node in entries [from, to) by `map[node]`, keeping the flag bits: ordinals to DFS
 * numbers with map = dfnum, and back with map = vertex.
 */
export function remapEntries(entries: Uint32Array, map: Uint32Array, from: number, to: number): void {
  for (let k = from; k < to; k++) {
    const r = entries[k]!;
    entries[k] = ((r & ~ORDINAL_MASK) | map[r & ORDINAL_MASK]!) >>> 0;
  }
}

/** remapEntries over all entries: the helper takes the second half when there is one. */
function remapShared(entries: Uint32Array, map: Uint32Array, step: 'dfs' | 'ordinals', helper: RemapHelper | undefined): void {
  if (!helper) {
    remapEntries(entries, map, 0, entries.length);
    return;
  }
  helper.start(step);
  remapEntries(entries, map, 0, secondHalf(entries));
  helper.wait(step);
}
