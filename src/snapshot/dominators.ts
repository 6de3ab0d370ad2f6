/**
 * The dominator tree and retained sizes, by the Lengauer–Tarjan algorithm in its semi-NCA form
 * (semidominators with path compression, then immediate dominators as nearest common ancestors),
 * iterative throughout. A plain function over typed arrays, like the passes in passes.ts.
 */
import type { ProgressCallback } from './raw.js';
import { essentialEdgeRule, INESSENTIAL, isEssentialEdge, NO_NODE, ORDINAL_MASK, type ReverseGraph } from './passes.js';

/**
 * Another thread that renumbers retainer entries: the second half of them into DFS numbers while
 * this one does the first (see secondHalf), and all of them back into ordinals while the caller
 * goes on. `start` tells it to begin, `wait` blocks until it is done.
 */
export interface RemapHelper {
  /** The DFS numbers and the vertex order the helper reads: computeDominators fills these. */
  readonly dfnum: Uint32Array;
  readonly vertex: Uint32Array;
  /** 'dfs': the second half of the entries to DFS numbers; 'ordinals': every entry back. */
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
  linking: Linking = 'simple',
  deferOrdinals = false,
): DominatorResult {
  const N = g.nodeCount;
  const { firstEdge, edgeTo, edgeType } = g;
  const root = g.rootOrdinal;
  const rule = essentialEdgeRule(g, reachable);
  // DFS numbers are 1-based; 0 means "not visited" / "no vertex". Once every node is numbered and
  // the retainer entries hold DFS numbers, this array becomes `semi`, then `idom`.
  const dfnum = helper?.dfnum ?? new Uint32Array(N + 1);
  const vertex = helper?.vertex ?? new Uint32Array(N + 1);
  const parent = new Uint32Array(N + 1);
  // The link-eval forest, one record a vertex (by DFS number): two words for simple linking, four
  // for balanced (see semidominatorsSimple, semidominatorsBalanced). The same buffer becomes the
  // Float64 retained sizes once the immediate dominators are known.
  const stride = linking === 'balanced' ? 4 : 2;
  const scratch = new ArrayBuffer(4 * stride * (N + 1));
  const link = new Uint32Array(scratch);
  // During the DFS link[2v] holds open vertex v's next edge (two words a vertex whatever the
  // linking: the search then writes half the memory of balanced records); cleared before linking.
  let n = 0;
  const report = onProgress ?? (() => {});

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
  remapToDfs(entries, dfnum, helper);
  const semi = dfnum;

  const loop = { n, N, vertex, parent, semi, firstRetainer, entries, link, report };
  if (linking === 'balanced') semidominatorsBalanced(loop);
  else semidominatorsSimple(loop);
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
  // The entries still hold DFS numbers. A helper turns them all back while the caller goes on;
  // without one, the first reader of an entry's node does it (with deferOrdinals) or this thread now.
  if (helper) {
    helper.start('ordinals');
    return { dominator, retainedSize, finishRetainers: waitForOrdinals(helper) };
  }
  if (deferOrdinals) return { dominator, retainedSize, finishRetainers: remapLater(entries, vertex) };
  remapEntries(entries, vertex, 0, entries.length);
  return { dominator, retainedSize, finishRetainers: null };
}

// The deferred step's closures are made outside computeDominators: a closure made inside would keep
// its whole scope alive (the DFS numbers, the search's bit set) until it runs.
function waitForOrdinals(helper: RemapHelper): () => void {
  return () => helper.wait('ordinals');
}
function remapLater(entries: Uint32Array, vertex: Uint32Array): () => void {
  return () => remapEntries(entries, vertex, 0, entries.length);
}

/** What computeDominators returns. */
export interface DominatorResult {
  /** Immediate dominator ordinals (the root's is NO_NODE). */
  readonly dominator: Uint32Array;
  readonly retainedSize: Float64Array;
  /**
   * With a helper or `deferOrdinals`: call before reading a retainer entry's node (the flags are
   * right already); it waits for the helper turning the entries back from DFS numbers into
   * ordinals, or does it. Null when the entries are ordinals on return.
   */
  readonly finishRetainers: (() => void) | null;
}

/**
 * How the semidominator loop links its forest. 'simple': each vertex under its DFS parent, with path
 * compression (Lengauer-Tarjan's simple version): the fewest operations, and fastest where the
 * graph's order is local. 'balanced': linked by subtree size as in Lengauer-Tarjan's sophisticated
 * version, which keeps the paths an evaluation climbs short. On a 10 M-node random graph
 * (bench/gen-scattered-heap.mjs --locality 0) the loop climbed 65.7 M steps for 8.8 M evaluations
 * with simple linking and 2.9 M with balanced, each step a cache miss there: 9.6 s -> 6.0 s. On
 * the 200 MB service heap balanced was slower (190 -> 281 ms), so HeapSnapshot asks for it only
 * when the distance search found the order scattered. It needs four words a vertex, not two.
 */
export type Linking = 'simple' | 'balanced';

/** What the semidominator loops read and write. */
interface Loop {
  readonly n: number;
  readonly N: number;
  readonly vertex: Uint32Array;
  readonly parent: Uint32Array;
  /** Written: semi[w] for w = 2..n. */
  readonly semi: Uint32Array;
  readonly firstRetainer: Uint32Array;
  /** Retainer entries holding DFS numbers (flags kept). */
  readonly entries: Uint32Array;
  /** The forest's records, zeroed. */
  readonly link: Uint32Array;
  readonly report: ProgressCallback;
}

const PROGRESS_EVERY = 0xfffff;

/**
 * Semidominators with simple linking. The forest has one record of two words a vertex: link[2v]
 * is v's ancestor (0 for a tree's root), link[2v + 1] the least semidominator on v's compressed path
 * (Lengauer-Tarjan's semi[label[v]], kept by value: the loop never needs the label itself). On a
 * scattered heap nearly every step of a path is a cache miss; with the two words side by side a
 * step touches one record instead of three arrays.
 */
function semidominatorsSimple(L: Loop): void {
  const { n, N, vertex, parent, semi, firstRetainer, entries, link, report } = L;
  // Path compression without recursion; the stack only grows as deep as one compressed path.
  // Returns the least semidominator on the path from linked vertex v up to its tree's root.
  let stack = new Uint32Array(1024);
  const evaluate = (v: number): number => {
    let sp = 0;
    let x = v;
    for (let a = link[2 * x]!; link[2 * a] !== 0; a = link[2 * x]!) {
      if (sp === stack.length) stack = grow(stack);
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
}

/**
 * Semidominators with balanced linking (Lengauer-Tarjan's sophisticated LINK and EVAL). Records of
 * four words a vertex: rec[4v] ancestor, rec[4v + 1] the least semidominator on the path (by value,
 * as in the simple version), rec[4v + 2] child, rec[4v + 3] size. Vertex 0 is the sentinel: size 0,
 * semidominator 0.
 */
function semidominatorsBalanced(L: Loop): void {
  const { n, N, vertex, parent, semi, firstRetainer, entries, link: rec, report } = L;
  for (let v = 1; v <= n; v++) {
    rec[4 * v + 1] = v;
    rec[4 * v + 3] = 1;
  }
  let stack = new Uint32Array(1024);
  // Compresses v's path (v's ancestor is not a root) and returns the least semidominator on it.
  const evaluate = (v: number): number => {
    let sp = 0;
    let x = v;
    while (rec[4 * rec[4 * x]!] !== 0) {
      if (sp === stack.length) stack = grow(stack);
      stack[sp++] = x;
      x = rec[4 * x]!;
    }
    while (sp > 0) {
      const y = stack[--sp]!;
      const a = rec[4 * y]!;
      if (rec[4 * a + 1]! < rec[4 * y + 1]!) rec[4 * y + 1] = rec[4 * a + 1]!;
      rec[4 * y] = rec[4 * a]!;
    }
    const la = rec[4 * rec[4 * v]! + 1]!;
    const lv = rec[4 * v + 1]!;
    return la < lv ? la : lv;
  };
  // Links w (just processed) under its DFS parent p, rebalancing the chain of subtrees below w.
  const link = (p: number, w: number) => {
    let s = w;
    const lw = rec[4 * w + 1]!;
    for (;;) {
      const cs = rec[4 * s + 2]!;
      if (!(lw < rec[4 * cs + 1]!)) break;
      const ccs = rec[4 * cs + 2]!;
      if (rec[4 * s + 3]! + rec[4 * ccs + 3]! >= 2 * rec[4 * cs + 3]!) {
        rec[4 * cs] = s;
        rec[4 * s + 2] = ccs;
      } else {
        rec[4 * cs + 3] = rec[4 * s + 3]!;
        rec[4 * s] = cs;
        s = cs;
      }
    }
    rec[4 * s + 1] = lw;
    rec[4 * p + 3]! += rec[4 * w + 3]!;
    if (rec[4 * p + 3]! < 2 * rec[4 * w + 3]!) {
      const t = rec[4 * p + 2]!;
      rec[4 * p + 2] = s;
      s = t;
    }
    while (s !== 0) {
      rec[4 * s] = p;
      s = rec[4 * s + 2]!;
    }
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
      if (v < w) {
        if (v < s) s = v;
        if (s === 1) break;
        continue;
      }
      // Inlined for the common cases: v a root of the forest, or linked straight to one.
      const a = rec[4 * v]!;
      let best: number;
      if (a === 0) best = rec[4 * v + 1]!;
      else if (rec[4 * a] === 0) {
        const la = rec[4 * a + 1]!;
        const lv = rec[4 * v + 1]!;
        best = la < lv ? la : lv;
      } else best = evaluate(v);
      if (best < s) {
        s = best;
        if (s === 1) break;
      }
    }
    if (!hasPred) s = 1;
    semi[w] = s;
    rec[4 * w + 1] = s;
    link(parent[w]!, w);
  }
}

/** A stack twice as big with the same contents. */
function grow(stack: Uint32Array): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(stack.length * 2);
  bigger.set(stack);
  return bigger;
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

/** Entries to DFS numbers: the helper takes the second half when there is one. */
function remapToDfs(entries: Uint32Array, dfnum: Uint32Array, helper: RemapHelper | undefined): void {
  if (!helper) {
    remapEntries(entries, dfnum, 0, entries.length);
    return;
  }
  helper.start('dfs');
  remapEntries(entries, dfnum, 0, secondHalf(entries));
  helper.wait('dfs');
}
