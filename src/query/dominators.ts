/**
 * The retained-size view: the objects that keep the most memory alive, from the dominator tree.
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from './kinds.js';
import { nodeBrief } from './paths.js';

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
}

/**
 * The `limit` largest objects by retained size, leaving out the root, V8's synthetic root lists and
 * objects whose retained size is all in one child (so the list shows holders, not chains).
 */
export function retainedTable(snap: HeapSnapshot, limit: number): { rows: RetainedRow[]; total: number; text: string } {
  const N = snap.nodeCount;
  const { retainedSize, dominator, nodeType } = snap;
  const synthetic = snap.types.synthetic;
  // Keep a small sorted top list instead of sorting 15 M nodes.
  const top: number[] = [];
  let floor = -1;
  for (let v = 0; v < N; v++) {
    const r = retainedSize[v]!;
    if (r <= floor || nodeType[v] === synthetic || v === snap.rootOrdinal) continue;
    top.push(v);
    if (top.length > limit * 4) {
      top.sort((a, b) => retainedSize[b]! - retainedSize[a]!);
      top.length = limit * 2;
      floor = retainedSize[top[top.length - 1]!]!;
    }
  }
  top.sort((a, b) => retainedSize[b]! - retainedSize[a]! || a - b);
  const kinds = kindTable(snap);
  const rows: RetainedRow[] = top.slice(0, limit).map((v) => {
    let depth = 0;
    for (let u = v; u !== NO_NODE && u !== snap.rootOrdinal && depth < 1e6; u = dominator[u]!) depth++;
    return {
      ordinal: v,
      id: snap.nodeId[v]!,
      kind: kinds.names[kinds.kindOf[v]!]!,
      brief: nodeBrief(snap, v),
      selfSize: snap.nodeSelfSize[v]!,
      retainedSize: retainedSize[v]!,
      depth,
    };
  });
  const total = snap.totalSize;
  const lines = [
    `Largest retained sizes of a heap of ${N} objects. Total size = ${total} bytes.`,
    ' Index    Retained   %      Self Depth Object',
  ];
  rows.forEach((r, i) => {
    const pct = total === 0 ? 0 : Math.round((100 * r.retainedSize) / total);
    lines.push(
      `${String(i).padStart(6)} ${String(r.retainedSize).padStart(11)} ${String(pct).padStart(3)} ${String(r.selfSize).padStart(9)} ${String(r.depth).padStart(5)} ${r.kind} ${r.brief}`,
    );
  });
  return { rows, total, text: lines.join('\n') };
}
