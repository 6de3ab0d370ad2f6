/**
 * The report's data: plain, JSON-ready aggregates of one or more snapshots (and optionally monitor
 * recordings), never the whole graph. A 1 GB snapshot's report stays a few MB because every list is
 * cut (rows per relation, instances per kind, tiles of the tree) and objects appear only when a
 * table or tile points at them. Every section but the summary is optional; the page shows what is
 * there.
 */
import { basename } from 'node:path';
import type { HeapSnapshot } from '../snapshot/index.js';
import { byVia, kindTable, partition, relations, type ClassKeys, type Relation } from '../query/index.js';
import { HeapSet } from '../api/index.js';
import { incomingIndex, objectDetail, type ObjectDetail, type ObjectRef } from './objects.js';
import { kindRetained, retainedTree, type TreeNode } from './tree.js';

/** The page also reads objects and tree tiles (and `heapy serve`'s pages of them): one vocabulary for both sides. */
export type { EdgeItem, EdgePage, ObjectDetail, ObjectRef, PathHop } from './objects.js';
export type { DominatedItem, DominatedPage, TreeNode } from './tree.js';

/** Bumped when the shape of {@link ReportData} changes incompatibly. */
export const REPORT_FORMAT_VERSION = 1;

/** One loaded snapshot and the name to show for it. */
export interface ReportSnapshot {
  /** The file (or label) it came from. */
  readonly source: string;
  readonly snapshot: HeapSnapshot;
}

/** Figures of one snapshot. */
export interface SnapshotInfo {
  readonly source: string;
  /** The file name without its directory. */
  readonly name: string;
  readonly nodes: number;
  readonly edges: number;
  /** Sum of all self sizes, bytes. */
  readonly totalSize: number;
  /** Objects a strong path from the roots reaches (what the tables count). */
  readonly reachableCount: number;
  readonly reachableSize: number;
  readonly allocationTracking: boolean;
}

/** One row of a partition table. */
export interface RowData {
  readonly label: string;
  readonly count: number;
  readonly size: number;
  /** For kind rows: the kind's retained size (objects nested in others of the same kind counted once). */
  readonly retained?: number;
  /** V8 ids of the row's largest objects by retained size (details in {@link ReportData.objects}). */
  readonly samples: readonly number[];
}

/** The partition of the reachable heap by one relation. */
export interface PartitionData {
  readonly relation: string;
  readonly header: string;
  /** Objects and bytes partitioned. */
  readonly count: number;
  readonly size: number;
  /** The largest rows (by size); `totalRows` says how many exist. */
  readonly rows: readonly RowData[];
  readonly totalRows: number;
  /** Objects and bytes of the rows left out. */
  readonly restCount: number;
  readonly restSize: number;
  /** null when the whole reachable heap is partitioned, else what part (for expensive relations on huge heaps). */
  readonly scope: string | null;
  /** Milliseconds the partition took (shown in the page footer; used to tune the limits). */
  readonly ms: number;
}

/** A rendered back-reference graph of one object. */
export interface GraphSection {
  /** V8 id of the starting object. */
  readonly id: number;
  readonly title: string;
  /** Why this object was chosen ("largest ReportWidget", "leak: 5,000 LeakedOrder"). */
  readonly reason: string;
  /** Boxes drawn (objects and "+N more" boxes). */
  readonly nodes: number;
  /** SVG markup (from Graphviz; the page strips scripts and event attributes before showing it); '' when it could not be drawn. */
  readonly svg: string;
  /** Why the graph is missing, when Graphviz failed on it (the page shows this instead). */
  readonly note?: string;
}

/** One piece of advice with the bytes at stake. */
export interface HintSection {
  readonly rule: string;
  readonly title: string;
  /** What to change. */
  readonly advice: string;
  /** Examples and breakdowns, one per line. */
  readonly details: readonly string[];
  /** Bytes a fix would free or save. */
  readonly bytes: number;
  /** Objects involved. */
  readonly count: number;
  /** V8 ids of objects to look at (their details are in {@link ReportData.objects}). */
  readonly objects: readonly number[];
}

/** Kind-level comparison of two snapshots. */
export interface DiffSection {
  readonly from: string;
  readonly to: string;
  readonly header: string;
  readonly before: { readonly count: number; readonly size: number };
  readonly after: { readonly count: number; readonly size: number };
  /** after - before, per class; largest absolute size change first. */
  readonly rows: ReadonlyArray<{ readonly label: string; readonly count: number; readonly size: number }>;
  /** Objects matched by V8 id, per kind (null when not computed). */
  readonly byId: ReadonlyArray<{
    readonly kind: string;
    readonly added: number;
    readonly deleted: number;
    readonly addedSize: number;
    readonly deletedSize: number;
  }> | null;
}

/** One cluster of leaked objects: same kind, same retainer path shape; or one growing value. */
export interface LeakCluster {
  /** `objects`, or `growing value`: one value at a stable path replaced by a larger one in each round. */
  readonly type: 'objects' | 'growing value';
  readonly kind: string;
  /** Survivors: created between base and target, alive in final. */
  readonly count: number;
  /** New since target at the same place (non-zero: still growing). */
  readonly fresh: number;
  readonly growing: boolean;
  /** Retained size of the survivors in the final snapshot. */
  readonly retained: number;
  /** The generalized path (`Root.global.cache.get(*)`). */
  readonly shape: string;
  /** One survivor's exact shortest path in `.sp` syntax. */
  readonly path: string;
  /** The object to look at (V8 id in the final snapshot) and its kind and path. */
  readonly holder: number | null;
  readonly holderKind: string;
  readonly holderPath: string;
  /** The step(s) from the holder to the objects. */
  readonly via: string;
  /** What the survivors keep alive: the largest kinds. */
  readonly contents: ReadonlyArray<{ readonly kind: string; readonly count: number; readonly size: number }>;
  /** A few V8 ids of members. */
  readonly samples: readonly number[];
  /** What grew, in the three snapshots: the growing value's retained size, else the holder's (null for the root). */
  readonly grew: { readonly base: number; readonly target: number; readonly final: number } | null;
  /** Where they were allocated (sampled, an estimate), when the report was given the samples. */
  readonly sites?: LeakClusterSites;
}

/** A cluster's allocation sites in the page (see analyses/leak-sites.ts for how they are found). */
export interface LeakClusterSites {
  /** How samples were matched: `new Session`, or the samples no class claimed. */
  readonly how: string;
  /** Estimated live bytes credited to the cluster. */
  readonly bytes: number;
  readonly sites: ReadonlyArray<{ readonly functionName: string; readonly location: string; readonly share: number; readonly bytes: number; readonly via: string | null }>;
}

/** Leak clusters from three snapshots. */
export interface LeakSection {
  readonly base: string;
  readonly target: string;
  readonly final: string;
  /** Objects new in target, and of those still alive in final. */
  readonly newInTarget: number;
  readonly survivors: number;
  readonly clusters: readonly LeakCluster[];
  /** How the allocation sites were found, or how to get them (no samples given). */
  readonly sitesNote?: string;
}

/** One line of the memory timeline. */
export interface TimelineSeries {
  readonly key: string;
  readonly label: string;
  readonly metric: string;
  /** Seconds and bytes, decimated to a few thousand points. */
  readonly t: readonly number[];
  readonly v: readonly number[];
  readonly peak: number;
  readonly peakT: number;
}

/** A monitor recording. */
export interface TimelineSection {
  readonly source: string;
  readonly command: string;
  /** Epoch milliseconds. */
  readonly start: number;
  readonly duration: number;
  readonly series: readonly TimelineSeries[];
  readonly marks: ReadonlyArray<{ readonly t: number; readonly label: string }>;
  /** GC events, thinned to at most a few thousand. */
  readonly gcs: ReadonlyArray<{ readonly t: number; readonly kind: string; readonly ms: number }>;
  readonly gcCount: number;
  readonly gcMs: number;
}

/** Everything the page shows. */
export interface ReportData {
  readonly format: 'heapy-report';
  readonly version: number;
  readonly title: string;
  /** ISO time of generation. */
  readonly generated: string;
  /** Snapshots in the order given; the last one is the one the tables describe. */
  readonly snapshots: readonly SnapshotInfo[];
  /** Relation names in display order (keys of `partitions`). */
  readonly relations: readonly string[];
  readonly partitions: Readonly<Record<string, PartitionData>>;
  /** Retained sizes down the dominator tree, aggregated. */
  readonly tree: TreeNode | null;
  /** Objects referred to by rows, kinds, hints and clusters, by V8 id. */
  readonly objects: Readonly<Record<string, ObjectDetail>>;
  readonly graphs?: readonly GraphSection[];
  readonly hints?: readonly HintSection[];
  readonly diff?: DiffSection;
  readonly leaks?: LeakSection;
  readonly timelines?: readonly TimelineSection[];
  /** Milliseconds per phase of building this report. */
  readonly timings: Readonly<Record<string, number>>;
  /** Present when the page is served by `heapy serve` (objects can be fetched). */
  readonly live?: boolean;
}

/** An object with its shortest path: what a row's largest objects show under `heapy serve`. */
export type PathedRef = ObjectRef & Pick<ObjectDetail, 'path' | 'hops' | 'distance'>;

/** `heapy serve`'s answer for one partition row (GET /api/row): the row by kind and its largest objects. */
export interface RowDetail {
  readonly relation: string;
  readonly index: number;
  readonly label: string;
  readonly count: number;
  readonly size: number;
  /** The row's objects partitioned by kind, at most 50 rows. */
  readonly byKind: ReadonlyArray<{ readonly label: string; readonly count: number; readonly size: number }>;
  readonly largest: readonly PathedRef[];
}

/** Limits of {@link buildReport}; the defaults keep a 1 GB snapshot's page at a few MB. */
export interface ReportOptions {
  /** Title of the page (default: the last snapshot's file name). */
  readonly title?: string;
  /** Rows kept per relation (default 300). */
  readonly rows?: number;
  /** Kind rows that list their largest instances (default 40), and how many each (default 10). */
  readonly kindRows?: number;
  readonly kindSamples?: number;
  /** Rows of other relations that list sample objects (default 40), and how many each (default 5). */
  readonly otherRows?: number;
  readonly otherSamples?: number;
  /** Edges and retainers embedded per kind instance (default 8). */
  readonly neighbours?: number;
  /**
   * Above this many nodes, the relations that cost most per object (referrers, via) partition
   * only the objects of the largest kinds: at most `scopedKinds` kinds and
   * `scopedObjects` objects (defaults 5,000,000 nodes, 30 kinds, 2,000,000 objects). Measured on a
   * 1 GB snapshot (13 M nodes, 40 M edges): via over the whole heap took 78 s, referrers 12 s.
   */
  readonly fullRelationNodes?: number;
  readonly scopedKinds?: number;
  readonly scopedObjects?: number;
  /** Relations to compute (default: all that apply). */
  readonly relations?: readonly string[];
  /** Tree limits. */
  readonly treeDepth?: number;
  readonly treeNodes?: number;
  /** Progress of the phases: name, done, total. */
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

/** The relations a report shows, in order; `via` uses the linear-time classification. */
const REPORT_RELATIONS: ReadonlyArray<[string, Relation]> = [
  ['kind', relations.kind!],
  ['type', relations.type!],
  ['size', relations.size!],
  ['referrers', relations.referrers!],
  ['via', byVia],
  ['module', relations.module!],
  ['location', relations.location!],
  ['producer', relations.producer!],
];

/** Relations that read every object's incoming edges and build a label from them: scoped on huge heaps. */
const EXPENSIVE = new Set(['referrers', 'via']);

/** Labels longer than this are cut (a `referrers` label can list hundreds of kinds). */
const LABEL_CHARS = 240;

function cut(label: string): string {
  const l = label.trim();
  return l.length > LABEL_CHARS ? l.slice(0, LABEL_CHARS) + '…' : l;
}

/** Snapshot figures. */
export function snapshotInfo(source: string, snap: HeapSnapshot, all: HeapSet = HeapSet.all(snap)): SnapshotInfo {
  return {
    source,
    name: basename(source),
    nodes: snap.nodeCount,
    edges: snap.edgeCount,
    totalSize: snap.totalSize,
    reachableCount: all.count,
    reachableSize: all.size,
    allocationTracking: snap.traceTree !== null && snap.nodeTraceId !== null,
  };
}

/**
 * The `k` largest ordinals by retained size in each of the first `rows` rows of a partition, given
 * each object's class key. One pass; each row keeps a small sorted list.
 */
function samplesPerRow(snap: HeapSnapshot, ords: Uint32Array, keys: ClassKeys, rowKeys: readonly number[], k: number): number[][] {
  const out: number[][] = rowKeys.map(() => []);
  if (k <= 0 || rowKeys.length === 0) return out;
  const rowOf = new Map<number, number>();
  rowKeys.forEach((key, i) => rowOf.set(key, i));
  const r = snap.retainedSize;
  const floor = new Float64Array(rowKeys.length).fill(-1);
  for (let j = 0; j < ords.length; j++) {
    const row = rowOf.get(keys[j]!);
    if (row === undefined) continue;
    const o = ords[j]!;
    const size = r[o]!;
    const list = out[row]!;
    if (list.length >= k && size <= floor[row]!) continue;
    let at = list.length;
    while (at > 0 && r[list[at - 1]!]! < size) at--;
    list.splice(at, 0, o);
    if (list.length > k) list.length = k;
    if (list.length >= k) floor[row] = r[list[list.length - 1]!]!;
  }
  return out;
}

/**
 * Ordinals of the objects of the kinds with the most bytes: at most `n` kinds, and no more objects
 * than `budget` (the largest kind is always kept, whatever its count).
 */
function topKindsOrdinals(snap: HeapSnapshot, all: HeapSet, n: number, budget: number): { ords: Uint32Array; share: number; kinds: number } {
  const kinds = kindTable(snap);
  const keep = new Uint8Array(kinds.names.length);
  let size = 0;
  let count = 0;
  let taken = 0;
  for (const r of all.partition.rows) {
    if (taken >= n || (taken > 0 && count + r.count > budget)) continue;
    keep[r.key] = 1;
    size += r.size;
    count += r.count;
    taken++;
  }
  const ords = all.ordinals.filter((o) => keep[kinds.kindOf[o]!] === 1);
  return { ords, share: all.size === 0 ? 1 : size / all.size, kinds: taken };
}

/** The relation a report uses for `name` (`via` is the linear-time one), or undefined. */
export function reportRelation(name: string): Relation | undefined {
  return REPORT_RELATIONS.find(([n]) => n === name)?.[1];
}

/**
 * Which objects each relation partitions: the whole reachable heap, or on huge heaps, for the
 * costly relations, the objects of the largest kinds. Shared by the report and `heapy serve`, so
 * that a row index means the same row in both.
 */
export class RelationScope {
  private readonly snap: HeapSnapshot;
  private readonly all: HeapSet;
  private readonly options: ReportOptions;
  private scoped: { ords: Uint32Array; share: number; kinds: number } | undefined;

  constructor(snap: HeapSnapshot, all: HeapSet, options: ReportOptions = {}) {
    this.snap = snap;
    this.all = all;
    this.options = options;
  }

  /** The ordinals `name` partitions and, when not the whole heap, a sentence saying which. */
  ordinalsFor(name: string): { ords: Uint32Array; scope: string | null } {
    const snap = this.snap;
    if (!EXPENSIVE.has(name) || snap.nodeCount <= (this.options.fullRelationNodes ?? 5_000_000)) return { ords: this.all.ordinals, scope: null };
    const s = (this.scoped ??= topKindsOrdinals(snap, this.all, this.options.scopedKinds ?? 30, this.options.scopedObjects ?? 2_000_000));
    return {
      ords: s.ords,
      scope:
        `the ${s.ords.length.toLocaleString('en-US')} objects of the ${s.kinds} largest kinds ` +
        `(${Math.round(s.share * 100)} % of the bytes), since the heap has ${snap.nodeCount.toLocaleString('en-US')} nodes`,
    };
  }
}

/**
 * Builds the report data of the last snapshot in `snaps` (the others only feed the diff and leak
 * sections that callers add). Pure: snapshots in, data out.
 */
export function buildReport(snaps: readonly ReportSnapshot[], options: ReportOptions = {}): ReportData {
  const last = snaps[snaps.length - 1];
  if (!last) throw new Error('buildReport needs at least one snapshot');
  const snap = last.snapshot;
  const progress = options.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const time = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    const v = f();
    timings[name] = Math.round(performance.now() - t0);
    return v;
  };
  const rowsKept = options.rows ?? 300;
  const kindRows = options.kindRows ?? 40;
  const kindSamples = options.kindSamples ?? 10;
  const otherRows = options.otherRows ?? 40;
  const otherSamples = options.otherSamples ?? 5;
  const neighbours = options.neighbours ?? 8;

  const all = HeapSet.all(snap);
  const infos = snaps.map((s) => (s === last ? snapshotInfo(s.source, s.snapshot, all) : snapshotInfo(s.source, s.snapshot)));
  const wanted = options.relations;
  const chosen = REPORT_RELATIONS.filter(([name]) => {
    if (wanted && !wanted.includes(name)) return false;
    if (name === 'producer') return infos[infos.length - 1]!.allocationTracking;
    if (name === 'module' || name === 'location') return snap.locations !== null && snap.locations.length > 0;
    return true;
  });

  const kindRet = time('kind retained', () => kindRetained(snap));
  const detailOrds = new Map<number, number>(); // ordinal -> neighbours wanted
  const partitions: Record<string, PartitionData> = {};
  const scopes = new RelationScope(snap, all, options);
  chosen.forEach(([name, relation], i) => {
    progress(`by ${name}`, i, chosen.length);
    const t0 = performance.now();
    const { ords, scope } = scopes.ordinalsFor(name);
    const { partition: p, keys } = partition(snap, ords, relation);
    const isKind = name === 'kind';
    const sampleRows = isKind ? kindRows : otherRows;
    const perRow = isKind ? kindSamples : otherSamples;
    const samples = samplesPerRow(snap, ords, keys, p.rows.slice(0, sampleRows).map((r) => r.key), perRow);
    const rows: RowData[] = [];
    let restCount = 0;
    let restSize = 0;
    p.rows.forEach((r, j) => {
      if (j >= rowsKept) {
        restCount += r.count;
        restSize += r.size;
        return;
      }
      const s = samples[j] ?? [];
      for (const o of s) detailOrds.set(o, Math.max(detailOrds.get(o) ?? 0, isKind ? neighbours : 0));
      rows.push({
        label: cut(r.label),
        count: r.count,
        size: r.size,
        ...(isKind ? { retained: kindRet[r.key] ?? 0 } : {}),
        samples: s.map((o) => snap.nodeId[o]!),
      });
    });
    partitions[name] = {
      relation: name,
      header: p.header,
      count: p.count,
      size: p.size,
      rows,
      totalRows: p.rows.length,
      restCount,
      restSize,
      scope,
      ms: Math.round(performance.now() - t0),
    };
    timings[`by ${name}`] = partitions[name].ms;
  });

  progress('tree', 0, 1);
  const tree = time('tree', () => retainedTree(snap, { depth: options.treeDepth ?? 5, maxNodes: options.treeNodes ?? 2500 }));

  progress('objects', 0, 1);
  const objects: Record<string, ObjectDetail> = {};
  time('objects', () => {
    const index = incomingIndex(
      snap,
      [...detailOrds].filter(([, n]) => n > 0).map(([o]) => o),
    );
    for (const [o, n] of detailOrds) objects[String(snap.nodeId[o]!)] = objectDetail(snap, o, n, index);
  });
  progress('done', 1, 1);
  return {
    format: 'heapy-report',
    version: REPORT_FORMAT_VERSION,
    title: options.title ?? `Heap of ${basename(last.source)}`,
    generated: new Date().toISOString(),
    snapshots: infos,
    relations: chosen.map(([n]) => n),
    partitions,
    tree,
    objects,
    timings,
  };
}

/** Adds the details of objects (by ordinal in the report's last snapshot) that sections refer to. */
export function withObjects(report: ReportData, snap: HeapSnapshot, ords: Iterable<number>, neighbours = 8): ReportData {
  const objects: Record<string, ObjectDetail> = { ...report.objects };
  const fresh = [...ords].filter((o) => !objects[String(snap.nodeId[o]!)]);
  const index = neighbours > 0 ? incomingIndex(snap, fresh) : undefined;
  for (const o of fresh) objects[String(snap.nodeId[o]!)] = objectDetail(snap, o, neighbours, index);
  return { ...report, objects };
}
