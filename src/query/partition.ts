/**
 * Partitions of a node set by an equivalence relation, and guppy's table layout for them.
 * Computing rows is pure data; rendering is the separate `renderPartition`.
 */
import type { HeapSnapshot } from '../snapshot/index.js';

/** Class keys aligned with a set's ordinals: Uint16/Uint32 when keys are small ids (kinds), else Float64. */
export type ClassKeys = Float64Array | Uint32Array | Uint16Array;

/** Per-element class keys of a set, with the label of each key. */
export interface Classification {
  /** Class key of each element, aligned with the set's ordinals. */
  readonly keys: ClassKeys;
  /** Label shown in the table for a key. */
  label(key: number): string;
}

/** An equivalence relation on heap nodes, as guppy's `by...` attributes. */
export interface Relation {
  /** Short name used in `by(name)`, the CLI's `--by` and `dump` files. */
  readonly name: string;
  /** The column header of the label, as guppy prints it. */
  readonly header: string;
  /** Classifies every element of `ords` (sorted node ordinals). */
  classify(snap: HeapSnapshot, ords: Uint32Array): Classification;
}

/** One row of a partition: a class of the relation with its totals. */
export interface PartitionRow {
  /** The class key (what the relation computed for the row's objects). */
  readonly key: number;
  /** The label printed in the table's last column. */
  readonly label: string;
  /** Number of objects in the row. */
  readonly count: number;
  /** Sum of their self sizes in bytes. */
  readonly size: number;
}

/** A partition of a set: rows largest size first, with the set's totals. */
export interface Partition {
  /** The header of the label column. */
  readonly header: string;
  /** Objects in the set. */
  readonly count: number;
  /** Total self size of the set in bytes. */
  readonly size: number;
  /** The rows, largest size first. */
  readonly rows: readonly PartitionRow[];
}

/** Groups `ords` by the relation; rows sorted by total size, then count, then label. */
export function partition(snap: HeapSnapshot, ords: Uint32Array, relation: Relation): { partition: Partition; keys: ClassKeys } {
  const { keys, label } = relation.classify(snap, ords);
  const self = snap.nodeSelfSize;
  const counts: number[] = [];
  const sizes: number[] = [];
  const rowKeys: number[] = [];
  let total = 0;
  // Small integer keys (kinds, types, most sizes) are counted in typed arrays, the rest in a Map:
  // a Map lookup per object is most of the cost of partitioning a whole heap.
  let SMALL = 1024;
  while (SMALL < 2 * ords.length && SMALL < 1 << 20) SMALL *= 2;
  const c = new Float64Array(SMALL);
  const z = new Float64Array(SMALL);
  const slot = new Map<number, number>();
  for (let j = 0; j < ords.length; j++) {
    const k = keys[j]!;
    const size = self[ords[j]!]!;
    total += size;
    if (k >= 0 && k < SMALL && k === Math.floor(k)) {
      c[k]!++;
      z[k]! += size;
      continue;
    }
    let s = slot.get(k);
    if (s === undefined) {
      s = counts.length;
      slot.set(k, s);
      counts.push(0);
      sizes.push(0);
      rowKeys.push(k);
    }
    counts[s]!++;
    sizes[s]! += size;
  }
  for (let k = 0; k < SMALL; k++) {
    if (c[k] === 0) continue;
    counts.push(c[k]!);
    sizes.push(z[k]!);
    rowKeys.push(k);
  }
  const rows: PartitionRow[] = rowKeys.map((key, s) => ({ key, label: label(key), count: counts[s]!, size: sizes[s]! }));
  rows.sort((a, b) => b.size - a.size || b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return { partition: { header: relation.header, count: ords.length, size: total, rows }, keys };
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((100 * part) / whole);
}

/** guppy's header line: `Partition of a set of N objects. Total size = B bytes.` */
export function partitionTitle(count: number, size: number): string {
  return `Partition of a set of ${count} object${count === 1 ? '' : 's'}. Total size = ${size} bytes.`;
}

/** Options for {@link renderPartition}. */
export interface RenderOptions {
  /** First row to show (for `.more`). */
  readonly start?: number;
  /** Rows to show; Infinity for all. */
  readonly limit?: number;
  /** The expression a user types to see more rows, shown in the footer. */
  readonly moreHint?: string;
}

/**
 * guppy's partition table: the title, the column header, rows as `%6d %6d %3d %8d %3d %9d %3d %s`,
 * then `<N more rows. Type e.g. '_.more' to view.>` when rows remain.
 */
export function renderPartition(p: Partition, options: RenderOptions = {}): string {
  const start = options.start ?? 0;
  const limit = options.limit ?? 10;
  const lines = [partitionTitle(p.count, p.size), ` Index  Count   %     Size   % Cumulative  % ${p.header}`];
  let cumulative = 0;
  for (let i = 0; i < start && i < p.rows.length; i++) cumulative += p.rows[i]!.size;
  const end = Math.min(p.rows.length, start + limit);
  for (let i = start; i < end; i++) {
    const r = p.rows[i]!;
    cumulative += r.size;
    lines.push(
      `${String(i).padStart(6)} ${String(r.count).padStart(6)} ${String(pct(r.count, p.count)).padStart(3)} ` +
        `${String(r.size).padStart(8)} ${String(pct(r.size, p.size)).padStart(3)} ` +
        `${String(cumulative).padStart(9)} ${String(pct(cumulative, p.size)).padStart(3)} ${r.label}`,
    );
  }
  if (end < p.rows.length) {
    lines.push(`<${p.rows.length - end} more rows. Type e.g. '${options.moreHint ?? '_.more'}' to view.>`);
  }
  return lines.join('\n');
}
