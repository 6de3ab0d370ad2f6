/**
 * Differences between two heaps: guppy's `diff` table (counts and sizes per class of any relation,
 * A minus B) and DevTools' comparison view (objects matched by V8 id: added, deleted, deltas per
 * kind). The two sets may come from different snapshots of one process, where V8 ids are stable,
 * or one side may be a saved StatSet (then only the table is possible).
 */
import { ExitCode, HeapyError } from '../errors.js';
import type { HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { compareIdEpochs } from '../query/epoch.js';
import type { Partition, Relation } from '../query/partition.js';
import { formatG } from '../util/format.js';
import { Printable, Text } from '../util/printable.js';

/** Count and size of one side. */
export interface DiffSide {
  /** Number of objects on this side. */
  readonly count: number;
  /** Sum of their self sizes in bytes. */
  readonly size: number;
}

/** One class of the relation: A's count and size minus B's. */
export interface DiffRow {
  /** The class's label as the relation prints it (trimmed); rows of A and B are matched by it. */
  readonly label: string;
  /** A's object count in this class minus B's. */
  readonly count: number;
  /** A's total self size in bytes in this class minus B's. */
  readonly size: number;
}

/** Per kind, objects matched by V8 id (DevTools' comparison view). */
export interface IdDiffRow {
  /** The kind (class / dict of class) the objects are grouped by. */
  readonly kind: string;
  /** Objects in A whose id is not in B. */
  readonly added: number;
  /** Objects in B whose id is not in A. */
  readonly deleted: number;
  /** Self size in bytes of the added objects. */
  readonly addedSize: number;
  /** Self size in bytes of the deleted objects. */
  readonly deletedSize: number;
  /** added - deleted. */
  readonly deltaCount: number;
  /** addedSize - deletedSize. */
  readonly deltaSize: number;
}

/** The whole difference A - B, as plain data. */
export interface DiffData {
  /** The relation's column header ("Kind (class / dict of class)", "Type", ...). */
  readonly header: string;
  /** Totals of set A (the minuend). */
  readonly a: DiffSide;
  /** Totals of set B (the subtrahend). */
  readonly b: DiffSide;
  /** Classes whose count or size differ, largest absolute size difference first. */
  readonly rows: readonly DiffRow[];
  /** The id-matched comparison per kind, or null when a side has no objects (a StatSet) or ids do not match across the two. */
  readonly byId: readonly IdDiffRow[] | null;
  /** Why byId is left out, or why it may not hold (ids from another session or process); null when it holds. */
  readonly idNote: string | null;
}

/** A set of one snapshot as diff needs it (HeapSet fits). */
export interface DiffableSet {
  readonly snapshot: HeapSnapshot;
  readonly ordinals: Uint32Array;
  readonly relation: Relation;
  readonly partition: Partition;
  by(relation: Relation): DiffableSet;
}

/** A partition without objects (StatSet fits). */
export interface DiffableStat {
  readonly partition: Partition;
}

function isSet(x: DiffableSet | DiffableStat): x is DiffableSet {
  return 'snapshot' in x && 'ordinals' in x;
}

/** guppy's table difference of two partitions (A - B), matched by row label. */
export function diffPartitions(a: Partition, b: Partition): Omit<DiffData, 'byId' | 'idNote'> {
  const rows = new Map<string, { count: number; size: number }>();
  for (const r of a.rows) {
    const key = r.label.trim();
    const x = rows.get(key) ?? { count: 0, size: 0 };
    x.count += r.count;
    x.size += r.size;
    rows.set(key, x);
  }
  for (const r of b.rows) {
    const key = r.label.trim();
    const x = rows.get(key) ?? { count: 0, size: 0 };
    x.count -= r.count;
    x.size -= r.size;
    rows.set(key, x);
  }
  const out: DiffRow[] = [];
  for (const [label, x] of rows) if (x.count !== 0 || x.size !== 0) out.push({ label, count: x.count, size: x.size });
  out.sort((p, q) => Math.abs(q.size) - Math.abs(p.size) || Math.abs(q.count) - Math.abs(p.count) || (p.label < q.label ? -1 : p.label > q.label ? 1 : 0));
  return { header: a.header, a: { count: a.count, size: a.size }, b: { count: b.count, size: b.size }, rows: out };
}

/**
 * DevTools' comparison: objects of A whose V8 id is not among B's objects are added, objects of B
 * whose id is not among A's are deleted; grouped by kind (A's kinds for added objects, B's for
 * deleted ones). Largest absolute size delta first.
 */
export function diffById(snapA: HeapSnapshot, ordsA: Uint32Array, snapB: HeapSnapshot, ordsB: Uint32Array): IdDiffRow[] {
  const inA = new Uint8Array(snapA.nodeCount);
  for (const o of ordsA) inA[o] = 1;
  const inB = new Uint8Array(snapB.nodeCount);
  for (const o of ordsB) inB[o] = 1;
  const rows = new Map<string, { added: number; deleted: number; addedSize: number; deletedSize: number }>();
  const row = (kind: string) => {
    let r = rows.get(kind);
    if (!r) {
      r = { added: 0, deleted: 0, addedSize: 0, deletedSize: 0 };
      rows.set(kind, r);
    }
    return r;
  };
  const count = (from: HeapSnapshot, ords: Uint32Array, other: HeapSnapshot, inOther: Uint8Array, added: boolean) => {
    const { kindOf, names } = kindTable(from);
    // Per kind index first, names at the end: one typed-array add per object.
    const n = new Float64Array(names.length);
    const size = new Float64Array(names.length);
    const ids = from.nodeId;
    const self = from.nodeSelfSize;
    const same = from === other;
    for (const o of ords) {
      const p = same ? o : other.ordinalOfId(ids[o]!);
      if (p >= 0 && inOther[p]) continue;
      const k = kindOf[o]!;
      n[k]!++;
      size[k]! += self[o]!;
    }
    for (let k = 0; k < names.length; k++) {
      if (n[k] === 0) continue;
      const r = row(names[k]!);
      if (added) {
        r.added += n[k]!;
        r.addedSize += size[k]!;
      } else {
        r.deleted += n[k]!;
        r.deletedSize += size[k]!;
      }
    }
  };
  count(snapA, ordsA, snapB, inB, true);
  count(snapB, ordsB, snapA, inA, false);
  const out: IdDiffRow[] = [];
  for (const [kind, r] of rows) {
    out.push({ kind, ...r, deltaCount: r.added - r.deleted, deltaSize: r.addedSize - r.deletedSize });
  }
  out.sort(
    (p, q) =>
      Math.abs(q.deltaSize) - Math.abs(p.deltaSize) ||
      q.addedSize + q.deletedSize - (p.addedSize + p.deletedSize) ||
      (p.kind < q.kind ? -1 : p.kind > q.kind ? 1 : 0),
  );
  return out;
}

/**
 * A - B for a set and another set (same or another snapshot of the same process) or a StatSet.
 * The table uses A's relation; B is partitioned the same way. A StatSet must have been dumped
 * with the same relation header.
 */
export function diffSets(a: DiffableSet, b: DiffableSet | DiffableStat): DiffData {
  if (isSet(b)) {
    const bp = b.relation === a.relation ? b.partition : b.by(a.relation).partition;
    const verdict = compareIdEpochs(b.snapshot, a.snapshot);
    if (verdict.comparable === false) return { ...diffPartitions(a.partition, bp), byId: null, idNote: verdict.reason };
    const idNote = verdict.comparable === null ? verdict.reason : null;
    return { ...diffPartitions(a.partition, bp), byId: diffById(a.snapshot, a.ordinals, b.snapshot, b.ordinals), idNote };
  }
  if (b.partition.header !== a.partition.header) {
    throw new HeapyError(
      `the saved table is by '${b.partition.header}', this set by '${a.partition.header}': partition the set the same way first`,
      ExitCode.badInput,
    );
  }
  return { ...diffPartitions(a.partition, b.partition), byId: null, idNote: null };
}

/** Options of {@link renderDiff}. */
export interface DiffRenderOptions {
  /** Rows per table (default 10, as guppy; Infinity for all). */
  readonly limit?: number;
  /** The expression shown in the "more rows" footer (default `_.more`). */
  readonly moreHint?: string;
}

function percentOfB(size: number, bSize: number): string {
  return bSize !== 0 ? formatG((size * 100) / bSize, 3).padStart(9) : '   (n.a.)';
}

/** guppy's diff layout ("Summary of difference operation (A-B)." and the table by kind). */
export function renderDiffTable(d: Omit<DiffData, 'byId' | 'idNote'>, options: DiffRenderOptions = {}): string {
  const limit = options.limit ?? 10;
  const dc = d.a.count - d.b.count;
  const ds = d.a.size - d.b.size;
  const n6 = (x: number) => String(x).padStart(6);
  const n8 = (x: number) => String(x).padStart(8);
  const lines = [
    'Summary of difference operation (A-B).',
    '        Count     Size',
    `  A    ${n6(d.a.count)} ${n8(d.a.size)}`,
    `  B    ${n6(d.b.count)} ${n8(d.b.size)}`,
    `  A-B  ${n6(dc)} ${n8(ds)}  = ${percentOfB(ds, d.b.size)} % of B`,
  ];
  if (dc === 0 && ds === 0 && d.rows.length === 0) return lines.join('\n');
  lines.push('', 'Differences by kind, largest absolute size diffs first.', ` Index  Count     Size  Cumulative  % of B ${d.header}`);
  let cum = 0;
  const end = Math.min(d.rows.length, limit);
  for (let i = 0; i < end; i++) {
    const r = d.rows[i]!;
    cum += r.size;
    lines.push(`${n6(i)} ${n6(r.count)} ${n8(r.size)} ${String(cum).padStart(9)} ${percentOfB(cum, d.b.size)} ${r.label}`);
  }
  if (end < d.rows.length) lines.push(`<${d.rows.length - end} more rows. Type e.g. '${options.moreHint ?? '_.more'}' to view.>`);
  return lines.join('\n');
}

/** The id-matched comparison (DevTools' columns), largest absolute size delta first. */
export function renderIdDiff(rows: readonly IdDiffRow[], options: DiffRenderOptions = {}): string {
  const limit = options.limit ?? 10;
  const lines = [
    'Objects matched by V8 id: new in A, deleted since B (DevTools comparison).',
    ' Index    # New # Deleted  # Delta  Alloc. Size  Freed Size  Size Delta Kind',
  ];
  const end = Math.min(rows.length, limit);
  const sign = (x: number) => (x > 0 ? `+${x}` : String(x));
  for (let i = 0; i < end; i++) {
    const r = rows[i]!;
    lines.push(
      `${String(i).padStart(6)} ${String(r.added).padStart(8)} ${String(r.deleted).padStart(9)} ${sign(r.deltaCount).padStart(8)} ` +
        `${String(r.addedSize).padStart(12)} ${String(r.deletedSize).padStart(11)} ${sign(r.deltaSize).padStart(11)} ${r.kind}`,
    );
  }
  if (end < rows.length) lines.push(`<${rows.length - end} more rows. Type e.g. '${options.moreHint ?? '_.more'}' to view.>`);
  return lines.join('\n');
}

/** Both tables, as `heapy diff` and `set.diff(other)` print them. */
export function renderDiff(d: DiffData, options: DiffRenderOptions = {}): string {
  const parts = [renderDiffTable(d, options)];
  if (d.byId) parts.push('', renderIdDiff(d.byId, options));
  if (d.idNote) parts.push('', d.byId ? `Caution: ${d.idNote}` : `Objects matched by V8 id: not given: ${d.idNote}`);
  return parts.join('\n');
}

/** The result of `set.diff(other)`: the data, printed as guppy's table plus the id comparison. */
export class HeapDiff extends Printable<DiffData> implements DiffData {
  readonly header: string;
  /** Totals of set A (the minuend). */
  readonly a: DiffSide;
  /** Totals of set B (the subtrahend). */
  readonly b: DiffSide;
  readonly rows: readonly DiffRow[];
  readonly byId: readonly IdDiffRow[] | null;
  readonly idNote: string | null;
  constructor(d: DiffData) {
    super();
    this.header = d.header;
    this.a = d.a;
    this.b = d.b;
    this.rows = d.rows;
    this.byId = d.byId;
    this.idNote = d.idNote;
  }
  /** All rows of both tables. */
  get all(): Text {
    return new Text(renderDiff(this, { limit: Infinity }));
  }
  /** The data without methods (for JSON). */
  override toJSON(): DiffData {
    return { header: this.header, a: this.a, b: this.b, rows: this.rows, byId: this.byId, idNote: this.idNote };
  }
  /** guppy's table plus the id comparison, 10 rows each. */
  override toString(): string {
    return renderDiff(this, { moreHint: '_.all' });
  }
}
