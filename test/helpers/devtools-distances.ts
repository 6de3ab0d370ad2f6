/**
 * DevTools' distance rules, written from their description in docs/definitions.md so that a test
 * can check that description against DevTools' own numbers, and heapy's distances against the same
 * search without the rules. A plain BFS over heapy's arrays; slow strings are fine at test sizes.
 */
import { NO_DISTANCE, SYSTEM_DISTANCE_BASE, type HeapSnapshot } from '../../src/snapshot/index.js';

/** Which of DevTools' distance-only rules to apply. */
export interface DistanceRules {
  /** A native context's `sloppy_function_map` edge does not count. */
  readonly sloppyFunctionMap: boolean;
  /** Of a `(map descriptors)` array, elements 3k+1 (k >= 1: the descriptors' details) do not count. */
  readonly mapDescriptors: boolean;
  /** A WeakMap value is reached through its key/table pair only once both halves are reached. */
  readonly weakMapPairs: boolean;
}

/** No rule: the plain shortest strong path, which is heapy's definition. */
export const NO_RULES: DistanceRules = { sloppyFunctionMap: false, mapDescriptors: false, weakMapPairs: false };
/** All of DevTools' rules. */
export const DEVTOOLS_RULES: DistanceRules = { sloppyFunctionMap: true, mapDescriptors: true, weakMapPairs: true };

// V8 names each half of a WeakMap entry "<n> / part of key (K @id) -> value (V @id) pair in WeakMap
// (table @id)"; the two halves (from the table and from the key) share everything after "<n>".
const PAIR = /^\d+( \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @\d+\))$/;

/**
 * BFS distances as heapy stores them (NO_DISTANCE for unreached nodes): the user's roots at 1,
 * the rest from the root at SYSTEM_DISTANCE_BASE, skipping the edges `rules` names.
 */
export function referenceDistances(s: HeapSnapshot, rules: DistanceRules): Uint32Array {
  const N = s.nodeCount;
  const ty = s.types;
  const dist = new Uint32Array(N).fill(NO_DISTANCE);
  const queue = new Uint32Array(N + 1);
  const pairName = new Map<number, string | null>();
  const pending = new Set<string>();
  const pairOf = (e: number): string | null => {
    const name = s.edgeName[e]!;
    let hit = pairName.get(name);
    if (hit === undefined) {
      hit = PAIR.exec(s.stringTable.get(name))?.[1] ?? null;
      pairName.set(name, hit);
    }
    return hit;
  };
  const counts = (v: number, e: number): boolean => {
    if (rules.sloppyFunctionMap && s.nodeType[v] === ty.hidden && s.edgeType[e] !== ty.edgeElement && s.edgeType[e] !== ty.edgeHidden) {
      if (s.edgeNameString(e) === 'sloppy_function_map' && s.nodeNameString(v) === 'system / NativeContext') return false;
    }
    if (rules.mapDescriptors && s.nodeType[v] === ty.array && s.nodeNameString(v) === '(map descriptors)') {
      const index = Number.parseInt(s.edgeNameString(e), 10);
      return index < 2 || index % 3 !== 1;
    }
    if (rules.weakMapPairs && s.edgeType[e] === ty.edgeInternal) {
      const pair = pairOf(e);
      // The first half met is skipped; the search meets the nearer half first, so the value gets
      // the distance of the farther one plus one.
      if (pair !== null && !pending.delete(pair)) {
        pending.add(pair);
        return false;
      }
    }
    return true;
  };
  const root = s.rootOrdinal;
  let tail = 0;
  for (let e = s.firstEdge[root]!; e < s.firstEdge[root + 1]!; e++) {
    const to = s.edgeTo[e]!;
    const userRoot = s.nodeType[to] !== ty.synthetic || s.nodeNameString(to) === '(Document DOM trees)';
    if (userRoot && dist[to] === NO_DISTANCE && s.edgeType[e] !== ty.edgeWeak) {
      dist[to] = 1;
      queue[tail++] = to;
    }
  }
  const userRoots = tail;
  let head = 0;
  for (let round = 0; round < 2; round++) {
    while (head < tail) {
      const v = queue[head++]!;
      for (let e = s.firstEdge[v]!; e < s.firstEdge[v + 1]!; e++) {
        const to = s.edgeTo[e]!;
        if (s.edgeType[e] === ty.edgeWeak || dist[to] !== NO_DISTANCE || !counts(v, e)) continue;
        dist[to] = dist[v]! + 1;
        queue[tail++] = to;
      }
    }
    if (round === 0) {
      dist[root] = userRoots > 0 ? SYSTEM_DISTANCE_BASE : 0;
      queue[tail++] = root;
    }
  }
  return dist;
}

/** How many nodes have different numbers in `a` and `b`. */
export function countDifferent(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
