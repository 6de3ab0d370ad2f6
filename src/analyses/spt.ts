/**
 * The shortest-path tree of a snapshot: for every node, the edge that the `.sp` path of
 * query/paths.ts takes into it. One forward pass over all edges (O(E)) instead of one retainer
 * walk per node, so analyses can ask for thousands of paths without rescanning big arrays: the
 * per-node walk scans the parent's edges for the one edge into the child, which costs O(n²) on an
 * array of n leaked elements.
 */
import { NO_DISTANCE, SYSTEM_DISTANCE_BASE, type HeapSnapshot } from '../snapshot/index.js';
import { renderPath } from '../query/paths.js';

/** Parent links of the shortest-path tree. */
export interface PathTree {
  /** The edge into each node on its shortest path from the root, or -1 (the root; unreachable nodes). */
  readonly parentEdge: Int32Array;
  /** The source node of parentEdge, or -1. */
  readonly parentNode: Int32Array;
}

const cache = new WeakMap<HeapSnapshot, PathTree>();

/**
 * The tree, computed once per snapshot. It makes the same choice as `shortestPathEdges`: among
 * the retainers one step nearer the roots, the one first in snapshot order (the lowest ordinal,
 * because retainer lists keep node order), and its first non-weak edge into the node.
 */
export function pathTree(snap: HeapSnapshot): PathTree {
  const hit = cache.get(snap);
  if (hit) return hit;
  const N = snap.nodeCount;
  const parentEdge = new Int32Array(N).fill(-1);
  const parentNode = new Int32Array(N).fill(-1);
  const { distance, firstEdge, edgeTo, edgeType } = snap;
  const weak = snap.types.edgeWeak;
  const root = snap.rootOrdinal;
  const rootDistance = N > 0 ? distance[root]! : 0;
  for (let u = 0; u < N; u++) {
    const du = distance[u]!;
    if (du === NO_DISTANCE) continue;
    for (let e = firstEdge[u]!, end = firstEdge[u + 1]!; e < end; e++) {
      if (edgeType[e] === weak) continue;
      const v = edgeTo[e]!;
      if (parentEdge[v] !== -1 || v === root) continue;
      const dv = distance[v]!;
      // User roots sit at distance 1 below the root, system nodes start at SYSTEM_DISTANCE_BASE + 1.
      const want = dv === 1 || dv === SYSTEM_DISTANCE_BASE + 1 ? rootDistance : dv - 1;
      if (du !== want) continue;
      parentEdge[v] = e;
      parentNode[v] = u;
    }
  }
  const tree: PathTree = { parentEdge, parentNode };
  cache.set(snap, tree);
  return tree;
}

/** The edges of the shortest path from the root to `ord` (root first), or null when none. */
export function treePath(snap: HeapSnapshot, ord: number): number[] | null {
  if (ord === snap.rootOrdinal) return [];
  const { parentEdge, parentNode } = pathTree(snap);
  if (parentEdge[ord] === -1) return null;
  const edges: number[] = [];
  let v = ord;
  while (v !== snap.rootOrdinal) {
    const e = parentEdge[v]!;
    if (e < 0) return null;
    edges.push(e);
    v = parentNode[v]!;
  }
  return edges.reverse();
}

/** The shortest path to `ord` in `.sp` syntax (`Root.a.b`), or `(no strong path)` when none. */
export function treePathText(snap: HeapSnapshot, ord: number): string {
  const edges = treePath(snap, ord);
  return edges ? renderPath(snap, edges) : '(no strong path)';
}
