/**
 * HeapSet: guppy's IdentitySet for a V8 heap. A sorted set of node ordinals of one snapshot with a
 * current equivalence relation; printing it gives guppy's partition table. The set algebra and the
 * per-object tables are pure functions in src/query/sets.ts; the analyses behind `diff()`,
 * `hints()`, `graph()` and the others live in src/analyses/.
 */
import { ExitCode, HeapyError } from '../errors.js';
import { isAfterMark, maxIds, NO_DISTANCE, type HeapSnapshot, type IdMark } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { partition, renderPartition, type ClassKeys, type Partition, type Relation } from '../query/partition.js';
import { renderPath, shortestPathEdges, edgeStep } from '../query/paths.js';
import { referencePattern, renderReferencePattern, type RefPatRow } from '../query/refpat.js';
import { byKind, byLocation, byModule, byProducer, byReferrers, bySize, byType, byUnity, byVia, combine, relationByName } from '../query/relations.js';
import {
  byIdPartition,
  byIdRelation,
  dominatedOrdinals,
  hasOrdinal,
  immediateDominatorOrdinals,
  mergeOrdinals,
  ordinalsOfIds,
  reachableOrdinals,
  referentOrdinals,
  referrerOrdinals,
  renderByIdPartition,
  selfSizeOf,
} from '../query/sets.js';
import { diffSets, HeapDiff } from '../analyses/diff.js';
import { backrefChain, mostCommonKinds, type BackrefChain, type KindCountList } from '../analyses/growth.js';
import { backrefGraph, HeapGraph, type GraphOptions } from '../analyses/graph.js';
import { findHints, HintList, type HintOptions } from '../analyses/hints.js';
import { Printable, Text } from '../util/printable.js';
import { dumpStat, type StatSet } from './stat.js';

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

/** A printable list of shortest paths, numbered as guppy prints them. */
export class PathList extends Printable<readonly string[]> {
  /** The rendered paths, one per object (objects no strong path reaches are left out). */
  readonly paths: readonly string[];
  constructor(paths: readonly string[]) {
    super();
    this.paths = paths;
  }
  /** guppy's layout: ` 0: Root....`, 10 paths, then `<... N more paths ...>`. */
  override toString(limit = 10): string {
    const shown = this.paths.slice(0, limit).map((p, i) => `${String(i).padStart(2)}: ${p}`);
    if (this.paths.length > limit) shown.push(`<... ${this.paths.length - limit} more paths ...>`);
    return shown.join('\n');
  }
  override toJSON(): readonly string[] {
    return this.paths;
  }
  /** All paths, printed as a list. */
  get all(): Text {
    return new Text(this.toString(Infinity));
  }
}

/** A printable reference pattern (`set.rp`). */
export class RefPattern extends Printable<readonly RefPatRow[]> {
  /** The rows, as data. */
  readonly rows: readonly RefPatRow[];
  constructor(rows: readonly RefPatRow[]) {
    super();
    this.rows = rows;
  }
  override toString(): string {
    return renderReferencePattern(this.rows);
  }
  override toJSON(): readonly RefPatRow[] {
    return this.rows;
  }
}

/** The next page of a partition table (`_.more`). */
export class MoreRows extends Printable<Partition> {
  /** The set whose table this pages through. */
  readonly set: HeapSet;
  /** First row of this page. */
  readonly start: number;
  constructor(set: HeapSet, start: number) {
    super();
    this.set = set;
    this.start = start;
  }
  /** The page after this one. */
  get more(): MoreRows {
    return new MoreRows(this.set, this.start + PAGE_ROWS);
  }
  /** The page as text. */
  override toString(): string {
    return this.set.render({ start: this.start, limit: PAGE_ROWS });
  }
  override toJSON(): Partition {
    const p = this.set.partition;
    return { ...p, rows: p.rows.slice(this.start, this.start + PAGE_ROWS) };
  }
}

/** Rows a table shows at a time, as guppy does. */
const PAGE_ROWS = 10;

/** `set[3]`: a property name that is an integer row index. */
const ROW_INDEX = /^-?\d+$/;

/**
 * `set[1]` as in guppy (`heap[1].bysize`) for any row: every HeapSet is returned through this
 * proxy, whose only work is to send integer property names to at(). heapy's REPLs print with
 * `showProxy: false`, so the table shows, not the proxy.
 */
const ROWS: ProxyHandler<HeapSet> = {
  get(target, prop, receiver) {
    if (typeof prop === 'string' && ROW_INDEX.test(prop)) return target.at(Number(prop));
    return Reflect.get(target, prop, receiver);
  },
};

/**
 * A set of heap objects of one snapshot, partitioned by a relation (kind by default).
 * Rows are reachable as `set.at(i)` and as `set[i]`; an index past the rows is an error.
 */
export class HeapSet extends Printable<Partition> {
  [index: number]: HeapSet;
  /** The snapshot the objects belong to. */
  readonly snapshot: HeapSnapshot;
  /** Sorted node ordinals. */
  readonly ordinals: Uint32Array;
  /** The relation the set is partitioned by when printed. */
  readonly relation: Relation;
  private cached: { partition: Partition; keys: ClassKeys } | undefined;

  constructor(snapshot: HeapSnapshot, ordinals: Uint32Array, relation: Relation = byKind) {
    super();
    this.snapshot = snapshot;
    this.ordinals = ordinals;
    this.relation = relation;
    return new Proxy(this, ROWS);
  }

  /** Every object a strong path from the roots reaches (synthetic root nodes left out). */
  static all(snapshot: HeapSnapshot): HeapSet {
    return new HeapSet(snapshot, reachableOrdinals(snapshot));
  }

  /** The objects whose V8 ids are in `ids` (ids not in the snapshot are ignored). */
  static ofIds(snapshot: HeapSnapshot, ids: Iterable<number>): HeapSet {
    return new HeapSet(snapshot, ordinalsOfIds(snapshot, ids));
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
    return selfSizeOf(this.snapshot, this.ordinals);
  }

  /** The partition by the current relation (computed once). */
  get partition(): Partition {
    if (!this.cached) {
      this.cached =
        this.relation === byIdRelation
          ? { partition: byIdPartition(this.snapshot, this.ordinals), keys: new Uint32Array(0) }
          : partition(this.snapshot, this.ordinals, this.relation);
    }
    return this.cached.partition;
  }

  /** The subset in row i of the partition (negative i counts from the end). */
  at(i: number): HeapSet {
    const p = this.partition;
    const row = p.rows[i < 0 ? p.rows.length + i : i];
    if (!row) throw new HeapyError(`row ${i} is out of range: the partition has ${p.rows.length} rows`, ExitCode.badInput);
    if (this.relation === byIdRelation) return this.derive(Uint32Array.of(row.key), byKind);
    const keys = this.cached!.keys;
    const ords = this.ordinals;
    const key = row.key;
    const out = new Uint32Array(row.count);
    let n = 0;
    for (let j = 0; j < ords.length; j++) if (keys[j] === key) out[n++] = ords[j]!;
    return this.derive(out.subarray(0, n), byKind);
  }

  /** Rows as a table (guppy's layout); `start`/`limit` select a page. */
  render(options: { start?: number; limit?: number } = {}): string {
    if (this.relation === byIdRelation) return renderByIdPartition(this.snapshot, this.partition, this.kind, options.start ?? 0, options.limit ?? PAGE_ROWS);
    return renderPartition(this.partition, options);
  }

  /** guppy's partition table, 10 rows. */
  override toString(): string {
    return this.render();
  }

  /** The partition as data. */
  override toJSON(): Partition {
    return this.partition;
  }

  /** The next 10 rows of the table. */
  get more(): MoreRows {
    return new MoreRows(this, PAGE_ROWS);
  }

  /** The whole table. */
  get all(): Text {
    return new Text(this.render({ limit: Infinity }));
  }

  /** The same set partitioned by another relation (a Relation or a name like "kind & size"). */
  by(relation: Relation | string): HeapSet {
    const r = typeof relation === 'string' ? (relation === 'id' ? byIdRelation : relationByName(relation)) : relation;
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
    const p = this.by(byKind).partition;
    return p.rows.length === 1 ? p.rows[0]!.label : '<mixed>';
  }

  /** guppy's brief form: `<50 Foo: @1, @3, @5...>`. */
  get brief(): string {
    const ids = Array.from(this.ordinals.subarray(0, 3), (o) => `@${this.snapshot.nodeId[o]}`);
    return `<${this.count} ${this.kind}: ${ids.join(', ')}${this.count > 3 ? '...' : ''}>`;
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
    const ords = this.ordinals;
    if (typeof x === 'number') return hasOrdinal(ords, x);
    return x.ordinals.every((o) => hasOrdinal(ords, o));
  }

  /** Objects in either set (guppy's `|`). */
  union(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(mergeOrdinals(this.ordinals, other.ordinals, true, true, true));
  }
  /** Objects in both sets (guppy's `&`). */
  intersection(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(mergeOrdinals(this.ordinals, other.ordinals, false, false, true));
  }
  /** Objects in this set and not the other (guppy's `-`). */
  difference(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(mergeOrdinals(this.ordinals, other.ordinals, true, false, false));
  }
  /** Objects in exactly one of the sets (guppy's `^`). */
  symmetricDifference(other: HeapSet): HeapSet {
    this.sameSnapshot(other);
    return this.derive(mergeOrdinals(this.ordinals, other.ordinals, true, true, false));
  }
  /** True if every object of this set is in the other. */
  isSubsetOf(other: HeapSet): boolean {
    this.sameSnapshot(other);
    return mergeOrdinals(this.ordinals, other.ordinals, true, false, false).length === 0;
  }
  /** True if every object of the other set is in this one. */
  isSupersetOf(other: HeapSet): boolean {
    return other.isSubsetOf(this);
  }

  /** Objects that refer to any object of the set by a non-weak edge (the root left out). */
  get referrers(): HeapSet {
    return this.derive(referrerOrdinals(this.snapshot, this.ordinals), byKind);
  }

  /** Objects the set refers to by non-weak edges. */
  get referents(): HeapSet {
    return this.derive(referentOrdinals(this.snapshot, this.ordinals), byKind);
  }

  /** The objects that would be freed if the set were freed: everything the set dominates, itself included. */
  get dominos(): HeapSet {
    return this.derive(dominatedOrdinals(this.snapshot, this.ordinals), byKind);
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
    return this.derive(immediateDominatorOrdinals(this.snapshot, this.ordinals), byKind);
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

/** Re-exported relation product for users: `set.by(combine(byKind, bySize))`. */
export { combine };
