/**
 * Set algebra and per-object tables over sorted node ordinals of one snapshot: the pure part of
 * guppy's IdentitySet. The user-facing `HeapSet` (src/api) is built on these.
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { isReachableObject, kindTable } from './kinds.js';
import type { Partition, Relation } from './partition.js';
import { nodeBrief } from './paths.js';

/**
 * Merges two sorted ordinal arrays, keeping the elements only in `a`, only in `b` and in both as
 * asked: union, intersection, difference and symmetric difference are the four choices.
 */
export function mergeOrdinals(a: Uint32Array, b: Uint32Array, keepA: boolean, keepB: boolean, keepBoth: boolean): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      if (keepA) out[n++] = x;
      i++;
    } else if (y < x) {
      if (keepB) out[n++] = y;
      j++;
    } else {
      if (keepBoth) out[n++] = x;
      i++;
      j++;
    }
  }
  if (keepA) while (i < a.length) out[n++] = a[i++]!;
  if (keepB) while (j < b.length) out[n++] = b[j++]!;
  return out.slice(0, n);
}

/** Sorted ordinals of the nonzero entries of a marking array (one byte per node). */
export function ordinalsOfMarks(marks: Uint8Array): Uint32Array {
  let n = 0;
  for (let i = 0; i < marks.length; i++) if (marks[i]) n++;
  const out = new Uint32Array(n);
  n = 0;
  for (let i = 0; i < marks.length; i++) if (marks[i]) out[n++] = i;
  return out;
}

/** True if the sorted ordinals contain `x` (binary search). */
export function hasOrdinal(a: Uint32Array, x: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Every object {@link isReachableObject} accepts, as sorted ordinals. */
export function reachableOrdinals(snap: HeapSnapshot): Uint32Array {
  const out = new Uint32Array(snap.nodeCount);
  let n = 0;
  for (let i = 0, N = snap.nodeCount; i < N; i++) if (isReachableObject(snap, i)) out[n++] = i;
  return out.subarray(0, n);
}


/** The objects whose V8 ids are in `ids`, as sorted ordinals (ids not in the snapshot are ignored). */
export function ordinalsOfIds(snap: HeapSnapshot, ids: Iterable<number>): Uint32Array {
  const marks = new Uint8Array(snap.nodeCount);
  for (const id of ids) {
    const o = snap.ordinalOfId(id);
    if (o >= 0) marks[o] = 1;
  }
  return ordinalsOfMarks(marks);
}

/** Objects that refer to any of `ords` by a non-weak edge (the root left out). */
export function referrerOrdinals(snap: HeapSnapshot, ords: Uint32Array): Uint32Array {
  const marks = new Uint8Array(snap.nodeCount);
  const first = snap.firstRetainer;
  for (let j = 0; j < ords.length; j++) {
    const o = ords[j]!;
    for (let k = first[o]!, end = first[o + 1]!; k < end; k++) {
      if (snap.retainerIsStrong(k)) marks[snap.retainerNode(k)] = 1;
    }
  }
  marks[snap.rootOrdinal] = 0;
  return ordinalsOfMarks(marks);
}

/** Objects that any of `ords` refers to by a non-weak edge. */
export function referentOrdinals(snap: HeapSnapshot, ords: Uint32Array): Uint32Array {
  const marks = new Uint8Array(snap.nodeCount);
  const { firstEdge, edgeType, edgeTo } = snap;
  const weak = snap.types.edgeWeak;
  for (let j = 0; j < ords.length; j++) {
    const o = ords[j]!;
    for (let e = firstEdge[o]!, end = firstEdge[o + 1]!; e < end; e++) if (edgeType[e] !== weak) marks[edgeTo[e]!] = 1;
  }
  return ordinalsOfMarks(marks);
}

/** Everything the set dominates, itself included: what would be freed with it. */
export function dominatedOrdinals(snap: HeapSnapshot, ords: Uint32Array): Uint32Array {
  const N = snap.nodeCount;
  // 1 = dominated by the set, 2 = not; resolved along dominator chains with memoisation.
  const state = new Uint8Array(N);
  for (let j = 0; j < ords.length; j++) state[ords[j]!] = 1;
  const dom = snap.dominator;
  const chain: number[] = [];
  for (let v = 0; v < N; v++) {
    if (state[v]) continue;
    chain.length = 0;
    let u = v;
    let result = 2;
    while (true) {
      if (state[u]) {
        result = state[u]!;
        break;
      }
      chain.push(u);
      const d = dom[u]!;
      if (d === NO_NODE || d === u) break;
      u = d;
    }
    for (const c of chain) state[c] = result;
  }
  for (let v = 0; v < N; v++) if (state[v] !== 1) state[v] = 0;
  return ordinalsOfMarks(state);
}

/** The immediate dominators of `ords`. */
export function immediateDominatorOrdinals(snap: HeapSnapshot, ords: Uint32Array): Uint32Array {
  const marks = new Uint8Array(snap.nodeCount);
  for (let j = 0; j < ords.length; j++) {
    const d = snap.dominator[ords[j]!]!;
    if (d !== NO_NODE) marks[d] = 1;
  }
  return ordinalsOfMarks(marks);
}

/** Sum of the self sizes of `ords`. */
export function selfSizeOf(snap: HeapSnapshot, ords: Uint32Array): number {
  const s = snap.nodeSelfSize;
  let t = 0;
  for (let j = 0; j < ords.length; j++) t += s[ords[j]!]!;
  return t;
}

/** The relation that gives one row per object (guppy's byid); its table is {@link byIdPartition}. */
export const byIdRelation: Relation = {
  name: 'id',
  header: 'Brief',
  classify(_snap, ords) {
    return { keys: Float64Array.from(ords), label: (k) => String(k) };
  },
};

/** byId keeps at most this many rows, the largest objects first: a row is an object per object. */
export const BY_ID_ROWS = 100_000;

/**
 * guppy's byid partition: one row per object (the row key is its ordinal), largest first, ties by
 * ordinal. On sets larger than BY_ID_ROWS only the largest are listed (found by a numeric sort of
 * the sizes, not a comparator sort of millions of rows); counts and totals still cover the set.
 */
export function byIdPartition(snap: HeapSnapshot, ords: Uint32Array): Partition {
  const self = snap.nodeSelfSize;
  const total = selfSizeOf(snap, ords);
  let chosen: number[];
  if (ords.length <= BY_ID_ROWS) {
    chosen = Array.from(ords);
  } else {
    const sizes = new Float64Array(ords.length);
    for (let j = 0; j < ords.length; j++) sizes[j] = self[ords[j]!]!;
    sizes.sort();
    const threshold = sizes[ords.length - BY_ID_ROWS]!;
    chosen = [];
    for (let j = 0; j < ords.length; j++) if (self[ords[j]!]! > threshold) chosen.push(ords[j]!);
    for (let j = 0; j < ords.length && chosen.length < BY_ID_ROWS; j++) if (self[ords[j]!]! === threshold) chosen.push(ords[j]!);
  }
  chosen.sort((a, b) => self[b]! - self[a]! || a - b);
  const rows = chosen.map((o) => ({ key: o, label: '', count: 1, size: self[o]! }));
  return { header: byIdRelation.header, count: ords.length, size: total, rows };
}

/**
 * guppy's byid table: `Set of N <kind> objects. Total size = ...`, then one line per object with
 * its size, share, cumulative share and brief; `kindLabel` is the set's kind (or `<mixed>`).
 */
export function renderByIdPartition(snap: HeapSnapshot, p: Partition, kindLabel: string, start: number, limit: number): string {
  const kinds = kindTable(snap);
  const lines = [
    `Set of ${p.count} ${kindLabel} object${p.count === 1 ? '' : 's'}. Total size = ${p.size} bytes.`,
    ' Index     Size   %   Cumulative  %   Brief',
  ];
  let cum = 0;
  for (let i = 0; i < start && i < p.rows.length; i++) cum += p.rows[i]!.size;
  const end = Math.min(p.rows.length, start + limit);
  const pc = (x: number) => (p.size === 0 ? 0 : (100 * x) / p.size).toFixed(1).padStart(5);
  for (let i = start; i < end; i++) {
    const r = p.rows[i]!;
    cum += r.size;
    const ord = r.key;
    lines.push(
      `${String(i).padStart(6)} ${String(r.size).padStart(8)} ${pc(r.size)} ${String(cum).padStart(9)} ${pc(cum)} ` +
        `${kinds.names[kinds.kindOf[ord]!]}: ${nodeBrief(snap, ord)}`,
    );
  }
  if (end < p.count) lines.push(`<${p.count - end} more rows. Type e.g. '_.more' to view.>`);
  return lines.join('\n');
}
