/**
 * HeapSet: guppy's IdentitySet for a V8 heap. A sorted set of node ordinals of one snapshot with a
 * current equivalence relation; printing it gives guppy's partition table.
 */
import { inspect } from 'node:util';
import { ExitCode, HeapyError } from '../errors.js';
import { isAfterMark, maxIds, NO_DISTANCE, NO_NODE, type HeapSnapshot, type IdMark } from '../snapshot/index.js';
import { kindTable } from './kinds.js';
import { partition, renderPartition, type Partition, type Relation } from './partition.js';
import { nodeBrief, renderPath, shortestPathEdges, edgeStep } from './paths.js';
import { dumpStat } from './stat.js';
import { referencePattern, renderReferencePattern, type RefPatRow } from './refpat.js';
import { byKind, byLocation, byModule, byProducer, byReferrers, bySize, byType, byUnity, byVia, combine, relationByName } from './relations.js';
import type { StatSet } from './stat.js';
import { diffSets, HeapDiff } from '../analyses/diff.js';
import { backrefChain, mostCommonKinds, type BackrefChain, type KindCountList } from '../analyses/growth.js';
import { backrefGraph, HeapGraph, type GraphOptions } from '../analyses/graph.js';
import { findHints, HintList, type HintOptions } from '../analyses/hints.js';

/** One object of a set, for reading (created on demand; never in hot paths). */
export interface NodeView {
  /** Node ordinal in the snapshot. */
  readonly ordinal: number;
  /** V8 object id (stable across snapshots of one process). */
  readonly id: number;
  /** V8 node type. */
  readonly type: string;
  /** Raw name: constructor name, string value, function name. */
  readonly name: string;
  /** heapy's kind (class, or "properties of X"). */
  readonly kind: string;
  /** Own size in bytes. */
  readonly selfSize: number;
  /** Bytes freed if this object were freed. */
  readonly retainedSize: number;
  /** Distance from the user's roots, or -1 when only weak edges reach it. */
  readonly distance: number;
  /** Outgoing edges: type, name (property name or index) and target ordinal. */
  readonly edges: readonly NodeEdge[];
}

/** byId keeps at most this many rows, the largest objects first: a row is an object per object. */
const BY_ID_ROWS = 100_000;

/**
 * guppy's byid partition: one row per object, largest first, ties by ordinal. On sets larger than
 * BY_ID_ROWS only the largest are listed (found by a numeric sort of the sizes, not a comparator
 * sort of millions of rows); counts and totals still cover the whole set.
 */
function byIdPartition(snap: HeapSnapshot, ords: Uint32Array): { partition: Partition; keys: Uint32Array } {
  const self = snap.nodeSelfSize;
  let total = 0;
  for (let j = 0; j < ords.length; j++) total += self[ords[j]!]!;
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
  return { partition: { header: byIdRelation.header, count: ords.length, size: total, rows }, keys: new Uint32Array(0) };
}

/** The largest odd (JS object) and even (native object) ids of a snapshot. */
export function idMark(snap: HeapSnapshot): IdMark {
  return maxIds(snap.nodeId);
}

/** An outgoing edge of a {@link NodeView}. */
export interface NodeEdge {
  /** V8 edge type (property, element, context, internal, ...). */
  readonly type: string;
  /** Property name, or the index for elements. */
  readonly name: string;
  /** Target node ordinal. */
  readonly to: number;
}

/** A relation that gives one row per object (guppy's byid). */
const byIdRelation: Relation = {
  name: 'id',
  header: 'Brief',
  classify(_snap, ords) {
    return { keys: Float64Array.from(ords), label: (k) => String(k) };
  },
};

function merge(a: Uint32Array, b: Uint32Array, keepA: boolean, keepB: boolean, keepBoth: boolean): Uint32Array {
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

/** Sorted unique ordinals from a marking array. */
function fromMarks(marks: Uint8Array): Uint32Array {
  let n = 0;
  for (let i = 0; i < marks.length; i++) if (marks[i]) n++;
  const out = new Uint32Array(n);
  n = 0;
  for (let i = 0; i < marks.length; i++) if (marks[i]) out[n++] = i;
  return out;
}

/** A printable list of shortest paths, numbered as guppy prints them. */
export class PathList {
  /** The rendered paths, one per object (objects no strong path reaches are left out). */
  readonly paths: readonly string[];
  constructor(paths: readonly string[]) {
    this.paths = paths;
  }
  /** guppy's layout: ` 0: Root....`, 10 paths, then `<... N more paths ...>`. */
  toString(limit = 10): string {
    const shown = this.paths.slice(0, limit).map((p, i) => `${String(i).padStart(2)}: ${p}`);
    if (this.paths.length > limit) shown.push(`<... ${this.paths.length - limit} more paths ...>`);
    return shown.join('\n');
  }
  /** All paths. */
  get all(): string {
    return this.toString(Infinity);
  }
  /** REPL display. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** A printable reference pattern (`set.rp`). */
export class RefPattern {
  /** The rows, as data. */
  readonly rows: readonly RefPatRow[];
  constructor(rows: readonly RefPatRow[]) {
    this.rows = rows;
  }
  toString(): string {
    return renderReferencePattern(this.rows);
  }
  /** REPL display: the same text as toString(). */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** The next page of a partition table (`_.more`). */
export class MoreRows {
  /** The set whose table this pages through. */
  readonly set: HeapSet;
  /** First row of this page. */
  readonly start: number;
  constructor(set: HeapSet, start: number) {
    this.set = set;
    this.start = start;
  }
  /** The page after this one. */
  get more(): MoreRows {
    return new MoreRows(this.set, this.start + 10);
  }
  /** The page as text. */
  toString(): string {
    return this.set.render({ start: this.start, limit: 10 });
  }
  /** REPL display. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * A set of heap objects of one snapshot, partitioned by a relation (kind by default).
 * Rows are reachable as `set.at(i)` and as `set[i]`.
 */
export class HeapSet {
  [index: number]: HeapSet;
  /** The snapshot the objects belong to. */
  readonly snapshot: HeapSnapshot;
  /** Sorted node ordinals. */
  readonly ordinals: Uint32Array;
  /** The relation the set is partitioned by when printed. */
  readonly relation: Relation;
  private cached: { partition: Partition; keys: Float64Array | Uint32Array | Uint16Array } | undefined;

  constructor(snapshot: HeapSnapshot, ordinals: Uint32Array, relation: Relation = byKind) {
    this.snapshot = snapshot;
    this.ordinals = ordinals;
    this.relation = relation;
  }

  /** Every object a strong path from the roots reaches (synthetic root nodes left out). */
  static all(snapshot: HeapSnapshot): HeapSet {
    const { distance, nodeType, nodeCount } = snapshot;
    const synthetic = snapshot.types.synthetic;
    const out = new Uint32Array(nodeCount);
    let n = 0;
    for (let i = 0; i < nodeCount; i++) if (distance[i] !== NO_DISTANCE && nodeType[i] !== synthetic) out[n++] = i;
    return new HeapSet(snapshot, out.subarray(0, n));
  }

  /** The objects whose V8 ids are in `ids` (ids not in the snapshot are ignored). */
  static ofIds(snapshot: HeapSnapshot, ids: Iterable<number>): HeapSet {
    const marks = new Uint8Array(snapshot.nodeCount);
    for (const id of ids) {
      const o = snapshot.ordinalOfId(id);
      if (o >= 0) marks[o] = 1;
    }
    return new HeapSet(snapshot, fromMarks(marks));
  }

  private derive(ordinals: Uint32Array, relation: Relation = this.relation): HeapSet {
    return new HeapSet(this.snapshot, ordinals, relation);
  }

  private sameSnapshot(other: HeapSet): void {
    if (other.snapshot !== this.snapshot) {
      throw new HeapyError('set algebra needs two sets of the same snapshot (use diff() across snapshots)', ExitCode.badInput);
    }
  }

  /**
   * Objects allocated after a reference point (guppy's setref): V8 ids larger than the mark. JS
   * objects have odd ids and native (embedder) objects even ones, from two counters, so a mark
   * holds the largest of each; a plain number is used for both.
   */
  allocatedAfter(mark: IdMark | number): HeapSet {
    const m = typeof mark === 'number' ? { js: mark, native: mark } : mark;
    const ids = this.snapshot.nodeId;
    return this.derive(this.ordinals.filter((o) => isAfterMark(ids[o]!, m)));
  }

  /** The largest JS (odd) and native (even) V8 ids of the snapshot: a reference point for allocatedAfter. */
  get maxId(): IdMark {
    return idMark(this.snapshot);
  }

  /** Number of objects. */
  get count(): number {
    return this.ordinals.length;
  }

  /** Sum of self sizes in bytes. */
  get size(): number {
    const s = this.snapshot.nodeSelfSize;
    let t = 0;
    for (const o of this.ordinals) t += s[o]!;
    return t;
  }

  /** The partition by the current relation (computed once). */
  get partition(): Partition {
    this.cached ??= this.relation === byIdRelation ? byIdPartition(this.snapshot, this.ordinals) : partition(this.snapshot, this.ordinals, this.relation);
    return this.cached.partition;
  }

  /** The subset in row i of the partition. */
  at(i: number): HeapSet {
    const p = this.partition;
    const row = p.rows[i < 0 ? p.rows.length + i : i];
    if (!row) throw new HeapyError(`row ${i} is out of range: the partition has ${p.rows.length} rows`, ExitCode.badInput);
    if (this.relation === byIdRelation) return this.derive(Uint32Array.of(row.key), byKind);
    const keys = this.cached!.keys;
    const out: number[] = [];
    for (let j = 0; j < this.ordinals.length; j++) if (keys[j] === row.key) out.push(this.ordinals[j]!);
    return this.derive(Uint32Array.from(out), byKind);
  }

  /** Rows as a table (guppy's layout); `start`/`limit` select a page. */
  render(options: { start?: number; limit?: number } = {}): string {
    if (this.relation === byIdRelation) return this.renderById(options.start ?? 0, options.limit ?? 10);
    return renderPartition(this.partition, options);
  }

  private renderById(start: number, limit: number): string {
    const p = this.partition;
    const kinds = kindTable(this.snapshot);
    const lines = [
      `Set of ${p.count} ${this.kindSummary()} object${p.count === 1 ? '' : 's'}. Total size = ${p.size} bytes.`,
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
          `${kinds.names[kinds.kindOf[ord]!]}: ${nodeBrief(this.snapshot, ord)}`,
      );
    }
    if (end < p.count) lines.push(`<${p.count - end} more rows. Type e.g. '_.more' to view.>`);
    return lines.join('\n');
  }

  private kindSummary(): string {
    const p = this.by(byKind).partition;
    return p.rows.length === 1 ? p.rows[0]!.label : '<mixed>';
  }

  /** guppy's partition table, 10 rows. */
  toString(): string {
    return this.render();
  }

  /** REPL display: the partition table. */
  [inspect.custom](): string {
    return this.render();
  }

  /** The next 10 rows of the table. */
  get more(): MoreRows {
    return new MoreRows(this, 10);
  }

  /** The whole table. */
  get all(): string {
    return this.render({ limit: Infinity });
  }

  /** The same set partitioned by another relation (a Relation or a name like "kind & size"). */
  by(relation: Relation | string): HeapSet {
    const r = typeof relation === 'string' ? relationByName(relation) : relation;
    if (!r) {
      throw new HeapyError(
        `unknown relation '${String(relation)}' (kind, type, size, referrers, via, id, module, location, producer, unity; combine with &)`,
        ExitCode.badInput,
      );
    }
    return this.derive(this.ordinals, r);
  }

  /** Partition by kind (class, or "properties of <class>" for owned stores). */
  get byKind(): HeapSet {
    return this.by(byKind);
  }
  /** Partition by V8 node type. */
  get byType(): HeapSet {
    return this.by(byType);
  }
  /** Partition by individual self size. */
  get bySize(): HeapSet {
    return this.by(bySize);
  }
  /** Partition by the kinds of the referrers (guppy's byrcs). */
  get byReferrers(): HeapSet {
    return this.by(byReferrers);
  }
  /** Partition by the edge names that reach each object. */
  get byVia(): HeapSet {
    return this.by(byVia);
  }
  /** One row per object, largest first (guppy's byid). */
  get byId(): HeapSet {
    return this.by(byIdRelation);
  }
  /** Partition by script of closures and of the constructors of objects. */
  get byModule(): HeapSet {
    return this.by(byModule);
  }
  /** Partition by script:line:column. */
  get byLocation(): HeapSet {
    return this.by(byLocation);
  }
  /** Partition by allocation site (needs allocation tracking). */
  get byProducer(): HeapSet {
    return this.by(byProducer);
  }
  /** A single class holding everything. */
  get byUnity(): HeapSet {
    return this.by(byUnity);
  }

  /** The kind of the set's objects when they share one, else `<mixed>`. */
  get kind(): string {
    return this.kindSummary();
  }

  /** guppy's brief form: `<50 Foo: @1, @3, @5...>`. */
  get brief(): string {
    const ids = Array.from(this.ordinals.subarray(0, 3), (o) => `@${this.snapshot.nodeId[o]}`);
    return `<${this.count} ${this.kindSummary()}: ${ids.join(', ')}${this.count > 3 ? '...' : ''}>`;
  }

  /** The only object of a one-object set. */
  get theone(): NodeView {
    if (this.count !== 1) throw new HeapyError(`theone: the set has ${this.count} objects, not 1`, ExitCode.badInput);
    return this.view(this.ordinals[0]!);
  }

  /** A readable view of one node. */
  view(ord: number): NodeView {
    const s = this.snapshot;
    const kinds = kindTable(s);
    const edges: { type: string; name: string; to: number }[] = [];
    for (let e = s.firstEdge[ord]!, end = s.firstEdge[ord + 1]!; e < end; e++) {
      edges.push({ type: s.edgeTypeName(e), name: s.edgeNameString(e), to: s.edgeTo[e]! });
    }
    const d = s.distance[ord]!;
    return {
      ordinal: ord,
      id: s.nodeId[ord]!,
      type: s.nodeTypeName(ord),
      name: s.nodeNameString(ord),
      kind: kinds.names[kinds.kindOf[ord]!]!,
      selfSize: s.nodeSelfSize[ord]!,
      retainedSize: s.retainedSize[ord]!,
      distance: d === NO_DISTANCE ? -1 : d,
      edges,
    };
  }

  /** The objects as node views, one at a time: `for (const n of set.nodes) ...`. */
  get nodes(): IterableIterator<NodeView> {
    const ords = this.ordinals;
    const view = (o: number) => this.view(o);
    return (function* () {
      for (const o of ords) yield view(o);
    })();
  }

  /** True if the object (ordinal, or a one-object set) is in the set. */
  has(x: number | HeapSet): boolean {
    if (typeof x !== 'number') return x.ordinals.every((o) => this.has(o));
    const a = this.ordinals;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] === x) return true;
      if (a[mid]! < x) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Objects in either set (guppy's `|`). */
  union(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(merge(this.ordinals, other.ordinals, true, true, true));
  }
  /** Objects in both sets (guppy's `&`). */
  intersection(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(merge(this.ordinals, other.ordinals, false, false, true));
  }
  /** Objects in this set and not the other (guppy's `-`). */
  difference(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(merge(this.ordinals, other.ordinals, true, false, false));
  }
  /** Objects in exactly one of the sets (guppy's `^`). */
  symmetricDifference(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(merge(this.ordinals, other.ordinals, true, true, false));
  }
  /** True if every object of this set is in the other. */
  isSubsetOf(other: HeapSet): boolean {
    this.sameSnapshot(other);
    return merge(this.ordinals, other.ordinals, true, false, false).length === 0;
  }
  /** True if every object of the other set is in this one. */
  isSupersetOf(other: HeapSet): boolean {
    return other.isSubsetOf(this);
  }

  /** Objects that refer to any object of the set by a non-weak edge (the root left out). */
  get referrers(): HeapSet {
    const s = this.snapshot;
    const marks = new Uint8Array(s.nodeCount);
    for (const o of this.ordinals) {
      for (let k = s.firstRetainer[o]!, end = s.firstRetainer[o + 1]!; k < end; k++) {
        if (s.retainerIsStrong(k)) marks[s.retainerNode(k)] = 1;
      }
    }
    marks[s.rootOrdinal] = 0;
    return this.derive(fromMarks(marks), byKind);
  }

  /** Objects the set refers to by non-weak edges. */
  get referents(): HeapSet {
    const s = this.snapshot;
    const marks = new Uint8Array(s.nodeCount);
    const weak = s.types.edgeWeak;
    for (const o of this.ordinals) {
      for (let e = s.firstEdge[o]!, end = s.firstEdge[o + 1]!; e < end; e++) {
        if (s.edgeType[e] !== weak) marks[s.edgeTo[e]!] = 1;
      }
    }
    return this.derive(fromMarks(marks), byKind);
  }

  /** The objects that would be freed if the set were freed: everything the set dominates, itself included. */
  get dominos(): HeapSet {
    const s = this.snapshot;
    const N = s.nodeCount;
    // 1 = dominated by the set, 2 = not; resolved along dominator chains with memoisation.
    const state = new Uint8Array(N);
    for (const o of this.ordinals) state[o] = 1;
    const dom = s.dominator;
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
    return this.derive(fromMarks(state), byKind);
  }

  /** Total self size of {@link HeapSet.dominos}: the bytes freed with the set. */
  get domisize(): number {
    return this.dominos.size;
  }

  /** Same as domisize: the set's retained size. */
  get retainedSize(): number {
    return this.domisize;
  }

  /** The immediate dominators of the set's objects. */
  get imdom(): HeapSet {
    const s = this.snapshot;
    const marks = new Uint8Array(s.nodeCount);
    for (const o of this.ordinals) {
      const d = s.dominator[o]!;
      if (d !== NO_NODE) marks[d] = 1;
    }
    return this.derive(fromMarks(marks), byKind);
  }

  /** Shortest paths from the roots to each object, nearest objects first. */
  get sp(): PathList {
    const s = this.snapshot;
    const ords = Array.from(this.ordinals).sort((a, b) => s.distance[a]! - s.distance[b]! || a - b);
    const paths: string[] = [];
    for (const o of ords) {
      const p = shortestPathEdges(s, o);
      if (p) paths.push(renderPath(s, p));
    }
    return new PathList(paths);
  }

  /** guppy's reference pattern: who refers to the set, grouped by kind, as a tree (depth 7). */
  get rp(): RefPattern {
    return this.getRp();
  }

  /** The reference pattern to a chosen depth (guppy's get_rp). */
  getRp(options: { depth?: number; width?: number } = {}): RefPattern {
    return new RefPattern(referencePattern(this.snapshot, this.ordinals, options));
  }

  /** Appends the partition's statistics to `file` in guppy's dump format (read with h.loadStat). */
  dump(file: string): void {
    dumpStat(file, this.partition);
  }

  /** The edge names by which `ord` is referred to, as .sp writes them. */
  viaNames(ord: number): string[] {
    const s = this.snapshot;
    const names: string[] = [];
    for (let k = s.firstRetainer[ord]!, end = s.firstRetainer[ord + 1]!; k < end; k++) {
      const r = s.retainerNode(k);
      for (let e = s.firstEdge[r]!, ee = s.firstEdge[r + 1]!; e < ee; e++) {
        if (s.edgeTo[e] === ord) names.push(edgeStep(s, r, e));
      }
    }
    return names;
  }

  // Leak-hunting tools; each is a thin call into src/analyses/.

  /** guppy's diff: this set minus `other` (a set of this or another snapshot of the process, or a StatSet). */
  diff(other: HeapSet | StatSet): HeapDiff {
    return new HeapDiff(diffSets(this, other));
  }

  /** objgraph's most_common_types: the `n` most numerous kinds. */
  mostCommonKinds(n = 10): KindCountList {
    return mostCommonKinds(this.snapshot, this.ordinals, n);
  }

  /** objgraph's find_backref_chain: references from the root to the object nearest the roots (or to `@id`). */
  backrefChain(id?: number): BackrefChain {
    return backrefChain(this.snapshot, this.ordinals, id);
  }

  /** objgraph's show_backrefs: who refers to these objects, as DOT (`.dot`) and SVG (`await .svg()`). */
  graph(options: GraphOptions = {}): HeapGraph {
    return new HeapGraph(backrefGraph(this.snapshot, this.ordinals, options));
  }

  /** V8-specific advice about these objects: what to change, the bytes at stake, objects to look at. */
  hints(options: HintOptions = {}): HintList {
    return new HintList(findHints(this.snapshot, this.ordinals, options));
  }
}

// `set[1]` as in guppy (`heap[1].bysize`): index getters on the prototype lead to at(). A Proxy
// would do it for any index, but the REPL prints proxies as `Proxy [...]` and every property read
// would pay for the trap.
const INDEX_GETTERS = 10_000;
for (let i = 0; i < INDEX_GETTERS; i++) {
  Object.defineProperty(HeapSet.prototype, i, {
    get(this: HeapSet) {
      return this.at(i);
    },
    enumerable: false,
    configurable: false,
  });
}

/** Re-exported relation product for users: `set.by(combine(byKind, bySize))`. */
export { combine };
