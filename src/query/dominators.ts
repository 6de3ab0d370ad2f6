/**
 * The retained-size view: the objects that keep the most memory alive, from the dominator tree.
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindNamer, reachableTotal } from './kinds.js';
import { nodeBrief, renderPath, shortestPathEdges } from './paths.js';

/** One row of the retained-size table. */
export interface RetainedRow {
  readonly ordinal: number;
  readonly id: number;
  readonly kind: string;
  readonly brief: string;
  readonly selfSize: number;
  readonly retainedSize: number;
  /** Depth in the dominator tree (1 = directly under the root). */
  readonly depth: number;
  /** The shortest path from the roots (`Root.global.holder.ctx.big`), or `(no strong path)`. */
  readonly path: string;
}

// A holder whose child keeps at least this share of its retained size adds no information: the
// global → Object → Object → Array chain over one 20 MB array showed four rows within 1% of each
// other (issue 17).
const CHAIN_SHARE = 0.99;

/**
 * The `limit` largest objects by retained size, leaving out the root and V8's synthetic root lists,
 * and showing a chain of holders once: when a row's retained size is at least 99% of that of one
 * object it dominates that is also a row, the two are one chain, and a chain shows one row: its
 * deepest member (the object that holds the data, reached by the path the row prints), moved up
 * from a backing store to its owner (`elements of Array` shows as the Array the program names),
 * then up over parents of its own kind (the nodes of a linked list, where the deepest one in the
 * table depends only on where the table is cut, show as its head). So
 * `globalThis.holder = { ctx: { big } }` lists `big`'s Array once, at `Root.global.holder.ctx.big`.
 */
export function retainedTable(snap: HeapSnapshot, limit: number): { rows: RetainedRow[]; count: number; total: number; text: string } {
  const { retainedSize, dominator } = snap;
  const kindOf = kindNamer(snap);
  // Chains leave rows out, so look at more candidates than rows, 4 times more each time too few
  // are left (a linked list of n nodes is one chain of up to n candidates).
  let kept: number[] = [];
  for (let want = Math.max(limit * 2, 8); ; want *= 4) {
    const top = largest(snap, want);
    kept = onePerChain(snap, top, kindOf);
    if (kept.length >= limit || top.length < want) break;
  }
  const rows: RetainedRow[] = kept.slice(0, limit).map((v) => {
    let depth = 0;
    for (let u = v; u !== NO_NODE && u !== snap.rootOrdinal && depth < 1e6; u = dominator[u]!) depth++;
    const edges = shortestPathEdges(snap, v);
    return {
      ordinal: v,
      id: snap.nodeId[v]!,
      kind: kindOf(v),
      brief: nodeBrief(snap, v),
      selfSize: snap.nodeSelfSize[v]!,
      retainedSize: retainedSize[v]!,
      depth,
      path: edges ? renderPath(snap, edges) : '(no strong path)',
    };
  });
  // The same objects and total as the partition view of `HeapSet.all`: one heap, one total.
  const { count, size: total } = reachableTotal(snap);
  const lines = [
    `Largest retained sizes of a heap of ${count} objects. Total size = ${total} bytes.`,
    ' Index    Retained   %      Self Depth Object, path',
  ];
  rows.forEach((r, i) => {
    const pct = total === 0 ? 0 : Math.round((100 * r.retainedSize) / total);
    lines.push(
      `${String(i).padStart(6)} ${String(r.retainedSize).padStart(11)} ${String(pct).padStart(3)} ${String(r.selfSize).padStart(9)} ${String(r.depth).padStart(5)} ${r.kind} ${r.brief} ${r.path}`,
    );
  });
  return { rows, count, total, text: lines.join('\n') };
}

/** The `count` nodes of largest retained size (not the root nor synthetic), largest first. */
function largest(snap: HeapSnapshot, count: number): number[] {
  const { retainedSize, nodeType } = snap;
  const synthetic = snap.types.synthetic;
  // Keep a small sorted top list instead of sorting 15 M nodes.
  const top: number[] = [];
  let floor = -1;
  for (let v = 0, N = snap.nodeCount; v < N; v++) {
    const r = retainedSize[v]!;
    if (r <= floor || nodeType[v] === synthetic || v === snap.rootOrdinal) continue;
    top.push(v);
    if (top.length > count * 2) {
      top.sort((a, b) => retainedSize[b]! - retainedSize[a]!);
      top.length = count;
      floor = retainedSize[top[count - 1]!]!;
    }
  }
  top.sort((a, b) => retainedSize[b]! - retainedSize[a]! || a - b);
  if (top.length > count) top.length = count;
  return top;
}

/** `top` without the rows a chain leaves out (see {@link retainedTable}), in the same order. */
function onePerChain(snap: HeapSnapshot, top: readonly number[], kindOf: (ord: number) => string): number[] {
  const { retainedSize, dominator, owner } = snap;
  // Link each row to the one row it dominates that keeps 99% of it, then keep one row per chain.
  const candidates = new Set(top);
  const chainChild = new Map<number, number>();
  const chainParent = new Map<number, number>();
  for (const c of top) {
    const p = dominator[c]!;
    if (p === NO_NODE || !candidates.has(p) || retainedSize[c]! < CHAIN_SHARE * retainedSize[p]!) continue;
    chainChild.set(p, c);
    chainParent.set(c, p);
  }
  const dropped = new Set<number>();
  const up = (v: number) => chainParent.get(v);
  for (const head of top) {
    if (chainParent.has(head) || !chainChild.has(head)) continue;
    let keep = head;
    for (let c = chainChild.get(head); c !== undefined; c = chainChild.get(c)) keep = c;
    // A backing store shows as its owner; a run of one kind (a linked list) as its first node.
    while (up(keep) !== undefined && owner[keep] === up(keep)) keep = up(keep)!;
    while (up(keep) !== undefined && kindOf(up(keep)!) === kindOf(keep)) keep = up(keep)!;
    for (let c: number | undefined = head; c !== undefined; c = chainChild.get(c)) if (c !== keep) dropped.add(c);
  }
  return top.filter((v) => !dropped.has(v));
}
