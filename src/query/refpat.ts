/**
 * guppy's reference pattern (`.rp`): the set, then who refers to it grouped by kind, then who
 * refers to those, as a tree. Markers: `[-]` expanded, `[+]` not expanded (depth limit), `[S]`
 * a root-like group (the global object, V8's root lists) not expanded, `[^ n]` the same group as
 * row n (a cycle).
 */
import type { HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from './kinds.js';

/** One row of a reference pattern. */
export interface RefPatRow {
  /** guppy's row name: `_` for the set, then `a`, `aa`, `ab`, `b`... */
  readonly name: string;
  readonly depth: number;
  readonly marker: '[-]' | '[+]' | '[S]' | `[^ ${number}]`;
  readonly count: number;
  readonly kind: string;
  /** Up to two V8 ids of the group's objects. */
  readonly ids: readonly number[];
  /** Edges from this group into the group below it (shown as `*N` when one object refers N times). */
  readonly edgesIn: number;
}

/** Options of {@link referencePattern}. */
export interface RefPatOptions {
  /** Levels of referrers to expand (guppy's default is 7). */
  readonly depth?: number;
  /** Groups per level at most. */
  readonly width?: number;
}

function sameSet(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Computes the reference pattern of a set of node ordinals (sorted). */
export function referencePattern(snap: HeapSnapshot, ords: Uint32Array, options: RefPatOptions = {}): RefPatRow[] {
  const depthLimit = options.depth ?? 7;
  const width = options.width ?? 6;
  const kinds = kindTable(snap);
  const rows: RefPatRow[] = [];
  const shown: Uint32Array[] = [];
  const globalKind = (o: number) => snap.nodeType[o] === snap.types.synthetic || snap.distance[o] === 1;
  const kindLabel = (set: Uint32Array) => {
    const k = kinds.kindOf[set[0]!]!;
    return set.every((o) => kinds.kindOf[o] === k) ? kinds.names[k]! : '<mixed>';
  };
  const visit = (set: Uint32Array, name: string, depth: number, edgesIn: number) => {
    const repeat = shown.findIndex((s) => sameSet(s, set));
    const ids = Array.from(set.subarray(0, 2), (o) => snap.nodeId[o]!);
    const base = { name, depth, count: set.length, kind: kindLabel(set), ids, edgesIn };
    shown.push(set);
    if (repeat >= 0) {
      rows.push({ ...base, marker: `[^ ${repeat}]` });
      return;
    }
    if (set.some(globalKind)) {
      rows.push({ ...base, marker: '[S]' });
      return;
    }
    if (depth >= depthLimit) {
      rows.push({ ...base, marker: '[+]' });
      return;
    }
    rows.push({ ...base, marker: '[-]' });
    // Referrers grouped by kind; count the edges from each group into this set.
    const inSet = new Set(set);
    const groups = new Map<number, { members: Set<number>; edges: number }>();
    for (const o of set) {
      for (let k = snap.firstRetainer[o]!, end = snap.firstRetainer[o + 1]!; k < end; k++) {
        if (!snap.retainerIsStrong(k)) continue;
        const r = snap.retainerNode(k);
        if (r === snap.rootOrdinal || inSet.has(r)) continue;
        const kind = kinds.kindOf[r]!;
        let g = groups.get(kind);
        if (!g) groups.set(kind, (g = { members: new Set(), edges: 0 }));
        g.members.add(r);
        g.edges++;
      }
    }
    const ordered = [...groups.values()]
      .map((g) => ({ set: Uint32Array.from([...g.members].sort((a, b) => a - b)), edges: g.edges }))
      .sort((a, b) => b.set.length - a.set.length || a.set[0]! - b.set[0]!)
      .slice(0, width);
    ordered.forEach((g, i) => {
      const childName = (name === '_' ? '' : name) + String.fromCharCode(97 + i);
      visit(g.set, childName, depth + 1, g.edges);
    });
  };
  visit(ords, '_', 0, 0);
  return rows;
}

/** guppy's layout: `Reference Pattern by <[dict of] class>.` then one numbered row a group. */
export function renderReferencePattern(rows: readonly RefPatRow[]): string {
  const lines = ['Reference Pattern by <[dict of] class>.'];
  rows.forEach((r, i) => {
    const lead = `${String(i).padStart(2)}: ${r.name} `;
    // Rows at even depths are drawn with dashes, odd ones with spaces, the marker at 6 + depth.
    const fill = (r.depth % 2 === 0 ? '-' : ' ').repeat(Math.max(1, 6 + r.depth - (r.name.length + 1) - 1));
    const ids = r.ids.map((id) => `@${id}`).join(', ');
    const many = r.count === 1 && r.edgesIn > 1 ? `*${r.edgesIn}` : r.count > 2 ? '...' : '';
    lines.push(`${lead}${fill} ${r.marker} ${r.count} ${r.kind}: ${ids}${many}`);
  });
  return lines.join('\n');
}
