/**
 * Three-snapshot leak detection for V8 heaps, with no filter to write.
 *
 * Snapshots base, target and final of one process (V8 ids are stable within a process):
 * - a *survivor* is an object absent from base, present in target and still alive in final;
 *   a *fresh* object is alive in final and absent from both earlier snapshots;
 * - survivors are reduced to the *top* ones: those not dominated by another new object (the
 *   entries of a leaking Map, not each entry's strings and numbers). Backing stores (elements,
 *   property stores, Map tables) are transparent: they count for the object that owns them;
 * - tops are clustered by kind and by the shape of their shortest path from the roots: element
 *   indexes, Map keys and Set members generalized, runs of one step collapsed (`(.next)+`), and
 *   property names generalized where many objects hang under different keys of one path;
 * - each cluster's *holder* is the object to look at: the nearest object on the path that already
 *   existed in base (skipping backing stores), i.e. where new objects get attached to old state;
 * - a cluster is *growing* when it kept growing after target: its holders hold more objects of its
 *   kind in final than in target and some of them are fresh, or its survivors' retained size grew
 *   by more than 10 % with fresh objects inside. One-off growth between base and target (lazily
 *   compiled code, module caches, warm-up) and bounded caches at capacity do not grow again, which
 *   is what keeps a steady program silent. Only growing clusters are reported unless `all` is set.
 *
 * Internal V8 objects (code, shapes, feedback, `system / ...` nodes) never form clusters of their
 * own; they count inside the user objects that dominate them.
 *
 * A value replaced by a larger copy again and again (a string built with `+=`, an array, Buffer
 * or Map rebuilt on each change) has a new id in every snapshot, so no object of it survives to
 * form a cluster: such *growing values*, found by their stable place (growing-values.ts), are
 * reported as clusters of their own type, `growing value`.
 *
 * findLeaks below is the list of phases; ages by id are in leak-ages.ts, path shapes and holders
 * in path-shapes.ts, growing values in growing-values.ts, the text form in leak-text.ts.
 */
import { NO_NODE, type HeapSnapshot, type ProgressCallback } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { namedPath, nodeBrief } from '../query/paths.js';
import { dominatedOrdinals } from '../query/sets.js';
import { findGrowingValues, type GrowingValue } from './growing-values.js';
import { ageNodes, checkSequence, FRESH, OLD, SURVIVOR, type Ages } from './leak-ages.js';
import { pathShapes, Placement, Tokenizer, type PathShapes } from './path-shapes.js';
import { pathTree, treePath, treePathText } from './spt.js';

/** Options of {@link findLeaks}. */
export interface LeakOptions {
  /** Report clusters that stopped growing after target too (default false). */
  readonly all?: boolean;
  /** At most this many clusters (default 20). */
  readonly limit?: number;
  /**
   * Sorted ordinals of final to leave out: never a leaked object (e.g. what a profiler running in
   * the process owns, its own snapshots among it). Closed under domination, as ownedByScripts is.
   */
  readonly exclude?: Uint32Array | undefined;
  /** Called at each phase of the analysis (matching ids, tops, paths, clusters, growth, growing values, done). */
  readonly onProgress?: ProgressCallback | undefined;
}

/** An object named in a report. */
export interface LeakObject {
  /** The object's V8 heap id (stable across the three snapshots). */
  readonly id: number;
  /** Ordinal in the final snapshot. */
  readonly ordinal: number;
  /** The object's kind (closures as `Function name`); `(root)` for the root. */
  readonly kind: string;
  /** `<Kind @id>` or a string's value. */
  readonly brief: string;
  /** Its shortest path in final, in `.sp` syntax. */
  readonly path: string;
}

/** Three figures of one object or value: in base, in target and in final. */
export interface InEach {
  /** In the base snapshot. */
  readonly base: number;
  /** In the target snapshot. */
  readonly target: number;
  /** In the final snapshot. */
  readonly final: number;
}

/** What a `growing value` cluster adds: the value at its place in each snapshot. */
export interface GrowingValueFigures {
  /** V8 ids of the value at the place: three different objects, each replaced by the next. */
  readonly ids: InEach;
  /** Its retained size in each snapshot, rising. */
  readonly sizes: InEach;
  /** For an Array, Map or Set: its elements or entries that hold a heap object; else null. */
  readonly entries: InEach | null;
}

/**
 * One cluster of leaked objects: one kind, one path shape. Or, with type `growing value`, one
 * value at a stable place replaced by a larger one in each round (see the module comment).
 */
export interface LeakCluster {
  /** `objects`: survivors clustered by path; `growing value`: one value that grew while its id changed. */
  readonly type: 'objects' | 'growing value';
  /** The kind of the objects (closures as `Function name`, all string types as `(string)`). */
  readonly kind: string;
  /** The generalized path: `Root.global.service.cache.get(*)` (of the most objects, see otherShapes). */
  readonly shape: string;
  /** Other path shapes by which objects of the same population are reached (merged into this cluster). */
  readonly otherShapes: number;
  /** Survivors: top objects absent from base, present in target, alive in final. */
  readonly count: number;
  /** Objects of the cluster's kind at its place under its holders that are new since target. */
  readonly fresh: number;
  /** Retained size of the survivors in final (sum over the top objects). */
  readonly retainedSize: number;
  /** Retained size of the same survivors in target. */
  readonly retainedSizeInTarget: number;
  /** New objects inside the survivors (each survivor and everything new it dominates). */
  readonly objects: number;
  /** What those objects are: the largest kinds by self size, with counts. */
  readonly contents: readonly {
    /** The kind of these new objects. */
    readonly kind: string;
    /** How many of them are inside the survivors. */
    readonly count: number;
    /** Their total self size in bytes in final. */
    readonly size: number;
  }[];
  /** Objects of this kind at the cluster's place under its holders (same first step and depth), in target and in final (1 and 1 for a growing value). */
  readonly held: {
    /** Objects held there in target. */
    readonly target: number;
    /** Objects held there in final. */
    readonly final: number;
  };
  /** True when the cluster kept growing between target and final (see the module comment). */
  readonly growing: boolean;
  /** One survivor (the nearest to the roots) with its exact path. */
  readonly representative: LeakObject;
  /** The object to look at: the nearest pre-existing object on the representative's path. */
  readonly holder: LeakObject;
  /** The path step(s) from the holder to the representative, e.g. `.get("user:7")`. */
  readonly via: string;
  /** How many distinct holders the cluster's objects hang from. */
  readonly holders: number;
  /** V8 ids of a few survivors. */
  readonly sampleIds: readonly number[];
  /**
   * The holder's retained size in base, target and final (the holder existed in all three): what
   * grew. Null when the holder is the root.
   */
  readonly holderRetained: InEach | null;
  /** For a `growing value`: the value in each snapshot; null for `objects`. */
  readonly value: GrowingValueFigures | null;
}

/** The result of {@link findLeaks}. */
export interface LeakReport {
  /** Objects in target that were not in base. */
  readonly newInTarget: number;
  /** Of those, objects still alive in final. */
  readonly survivors: number;
  /** Objects in final that were in neither earlier snapshot. */
  readonly freshInFinal: number;
  /** Clusters, growing ones first, then by retained size. */
  readonly clusters: readonly LeakCluster[];
  /** Clusters left out because they stopped growing after target (shown with `all`). */
  readonly settled: number;
}

export { renderLeaks } from './leak-text.js';

/** Finds what leaked between base and target and is still held in final; see the module comment. */
export function findLeaks(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot, options: LeakOptions = {}): LeakReport {
  const progress = options.onProgress ?? (() => {});
  progress('matching ids', 0, 1);
  checkSequence(base, target, final);
  const age = ageNodes(base, target, final);
  const kinds = leakKinds(final);
  progress('tops', 0, 1);
  const tops = findTops(final, age.final, options.exclude);
  progress('paths', 0, tops.list.length);
  const tokenizer = new Tokenizer(final);
  const shapes = pathShapes(final, tokenizer, tops.list, kinds.of);
  progress('clusters', 0, 1);
  const placement = new Placement(final, tokenizer, (u) => age.final[u] === OLD);
  const clusters = mergePopulations(clusterTops(final, age.final, tops.list, shapes, placement));
  const insides = measureInsides(final, age.final, tops.topOf, clusters, kinds);
  progress('growth', 0, 1);
  const held = countHeld(target, final, age, kinds, placement, clusters.list);
  const out = clusters.list.map((c) => summarize(base, target, final, kinds, c, insides.get(c), held));
  progress('growing values', 0, 1);
  const values = findGrowingValues(base, target, final, age.final, isInternal, options.exclude).slice(0, options.limit ?? DEFAULT_LIMIT);
  for (const g of values) out.push(growingValue(base, target, final, age.final, kinds, g));
  progress('done', 1, 1);
  return rank(age, out, options);
}

// Retained size counts as grown when it rose by more than this factor (and fresh objects are inside).
const RETAINED_GROWTH = 1.1;
// The default of LeakOptions.limit: 20 clusters of six lines each already fill a few screens.
const DEFAULT_LIMIT = 20;

/** Per snapshot: the leak kind of each node, as an index into `labels`. */
interface LeakKinds {
  readonly ids: Uint32Array;
  readonly labels: readonly string[];
  of(v: number): string;
}

/**
 * Leak kinds: the kind table's names, except closures by function name (`Function onPrice`),
 * native (embedder) nodes by their own class name, and every string representation as
 * `(string)` (V8 may flatten or internalize a string between snapshots, changing its type).
 */
function leakKinds(snap: HeapSnapshot): LeakKinds {
  const { kindOf, names } = kindTable(snap);
  const ty = snap.types;
  const labels = names.slice();
  const index = new Map<string, number>(labels.map((l, i) => [l, i]));
  const intern = (l: string) => {
    let i = index.get(l);
    if (i === undefined) {
      i = labels.length;
      labels.push(l);
      index.set(l, i);
    }
    return i;
  };
  const stringKind = intern('(string)');
  const byName = new Map<number, number>();
  const N = snap.nodeCount;
  const ids = new Uint32Array(N);
  const { nodeType, nodeName } = snap;
  for (let v = 0; v < N; v++) {
    const t = nodeType[v];
    if (t === ty.string || t === ty.concatString || t === ty.slicedString) ids[v] = stringKind;
    else if (t === ty.closure || t === ty.native) {
      const key = nodeName[v]! * 2 + (t === ty.closure ? 1 : 0);
      let k = byName.get(key);
      if (k === undefined) {
        k = intern(t === ty.closure ? `Function ${snap.string(nodeName[v]!) || '(anonymous)'}` : snap.className(v));
        byName.set(key, k);
      }
      ids[v] = k;
    } else ids[v] = kindOf[v]!;
  }
  return { ids, labels, of: (v) => labels[ids[v]!]! };
}

/** True for nodes that are V8's own machinery rather than program data. */
function isInternal(snap: HeapSnapshot, v: number): boolean {
  const t = snap.nodeType[v];
  const ty = snap.types;
  if (t === ty.hidden || t === ty.code || t === ty.synthetic || t === ty.objectShape) return true;
  if (t === ty.object || t === ty.array || t === ty.native) return snap.nodeNameString(v).startsWith('system / ');
  return false;
}

/** The top objects of final, from {@link findTops}. */
interface Tops {
  /** The tops, in ordinal order. */
  readonly list: readonly number[];
  /** Per new node: the top it belongs to, or -1 (an internal top, or a new store of an old owner); UNKNOWN_TOP for old nodes. */
  readonly topOf: Int32Array;
}

// topOf of a node not worked out (yet, or ever: old nodes keep it).
const UNKNOWN_TOP = -2;

/**
 * The tops: new objects (not stores) whose effective dominator, a store read as its owner, is
 * old; internal V8 objects are left out. Every new node is assigned its top along its dominator
 * chain, each chain walked once (nodes met on the way get the answer too).
 */
function findTops(final: HeapSnapshot, age: Uint8Array, exclude: Uint32Array | undefined): Tops {
  const N = final.nodeCount;
  const { dominator, owner } = final;
  const excluded = new Uint8Array(exclude === undefined ? 0 : N);
  if (exclude !== undefined) for (const v of exclude) excluded[v] = 1;
  const isNew = (v: number) => age[v] === SURVIVOR || age[v] === FRESH;
  const topOf = new Int32Array(N).fill(UNKNOWN_TOP);
  const isTop = new Uint8Array(N);
  const chain: number[] = [];
  for (let v = 0; v < N; v++) {
    if (!isNew(v) || topOf[v] !== UNKNOWN_TOP) continue;
    chain.length = 0;
    let u = v;
    let result = -1;
    while (true) {
      if (topOf[u] !== UNKNOWN_TOP) {
        result = topOf[u]!;
        break;
      }
      chain.push(u);
      if (owner[u] !== NO_NODE) {
        // A store belongs to its owner; a new store of an old owner is the owner's growth.
        const o = owner[u]!;
        if (isNew(o)) {
          u = o;
          continue;
        }
        result = -1;
        break;
      }
      let d = dominator[u]!;
      if (d !== NO_NODE && owner[d] !== NO_NODE) d = owner[d]!;
      if (d === NO_NODE || !isNew(d)) {
        if (isInternal(final, u) || excluded[u] === 1) result = -1;
        else {
          result = u;
          isTop[u] = 1;
        }
        break;
      }
      u = d;
    }
    for (const c of chain) topOf[c] = result;
  }
  const list: number[] = [];
  for (let v = 0; v < N; v++) if (isTop[v]) list.push(v);
  return { list, topOf };
}

/** A cluster while it is built: its tops, their holders and places. */
interface Building {
  readonly kind: string;
  readonly shape: string;
  readonly survivors: number[];
  retained: number;
  readonly holders: Set<number>;
  /** Population keys: `${holderId}|${place}`. */
  readonly keys: Set<string>;
  /** The survivor nearest the roots (the largest among equals), and its holder. */
  rep: number;
  repHolder: number;
  otherShapes: number;
}

/** Clusters being built, and the cluster of each top. */
interface Clusters {
  readonly list: Building[];
  readonly ofTop: Map<number, Building>;
}

/**
 * Groups the tops by kind and path shape, and finds each top's holder and place under it: the
 * population keys that later tell whether the holders keep getting more.
 */
function clusterTops(final: HeapSnapshot, age: Uint8Array, tops: readonly number[], shapes: PathShapes, placement: Placement): Clusters {
  const { nodeId, retainedSize, distance } = final;
  const byKey = new Map<string, Building>();
  const ofPath: (Building | undefined)[] = [];
  const ofTop = new Map<number, Building>();
  for (let i = 0; i < tops.length; i++) {
    const r = shapes.pathOf[i]!;
    if (r < 0) continue;
    const v = tops[i]!;
    let c = ofPath[r];
    if (!c) {
      const kind = shapes.kind[r]!;
      const shape = shapes.shape[r]!;
      const key = `${kind}\u0000${shape}`;
      c = byKey.get(key);
      if (!c) {
        c = { kind, shape, survivors: [], retained: 0, holders: new Set(), keys: new Set(), rep: -1, repHolder: -1, otherShapes: 0 };
        byKey.set(key, c);
      }
      ofPath[r] = c;
    }
    ofTop.set(v, c);
    const holder = placement.holder(v);
    c.holders.add(holder);
    c.keys.add(`${nodeId[holder]}|${placement.place(v)}`);
    if (age[v] === SURVIVOR) {
      c.survivors.push(v);
      c.retained += retainedSize[v]!;
      const d = distance[v]!;
      if (c.rep < 0 || d < distance[c.rep]! || (d === distance[c.rep]! && retainedSize[v]! > retainedSize[c.rep]!)) {
        c.rep = v;
        c.repHolder = holder;
      }
    }
  }
  return { list: [...byKey.values()], ofTop };
}

/**
 * Drops clusters made only of fresh objects (not leaks by the three-snapshot rule) and merges
 * clusters of one kind at the same places under the same holders: one population whose shortest
 * paths happen to differ (a closure reached through its context in one, through a hidden slot in
 * another), keeping the shape of the larger.
 */
function mergePopulations(clusters: Clusters): Clusters {
  const { ofTop } = clusters;
  const merged = new Map<string, Building>();
  for (const c of clusters.list.filter((x) => x.survivors.length > 0).sort((a, b) => b.survivors.length - a.survivors.length)) {
    const key = `${c.kind}\u0000${[...c.keys].sort().join('\u0000')}`;
    const into = merged.get(key);
    if (!into) {
      merged.set(key, c);
      continue;
    }
    into.otherShapes++;
    for (const v of c.survivors) ofTop.set(v, into);
    for (const v of c.survivors) into.survivors.push(v);
    into.retained += c.retained;
    for (const h of c.holders) into.holders.add(h);
  }
  return { list: [...merged.values()], ofTop };
}

/** What a cluster's survivors hold inside: new objects they dominate, by kind. */
interface Inside {
  objects: number;
  /** Of those, fresh ones other than the survivors themselves (growth inside a survivor). */
  fresh: number;
  readonly kinds: Map<string, { count: number; size: number }>;
}

/** Counts the new objects inside each cluster's survivors (each survivor and everything new it dominates). */
function measureInsides(final: HeapSnapshot, age: Uint8Array, topOf: Int32Array, clusters: Clusters, kinds: LeakKinds): Map<Building, Inside> {
  const insides = new Map<Building, Inside>();
  const selfSize = final.nodeSelfSize;
  for (let v = 0; v < final.nodeCount; v++) {
    const t = topOf[v]!;
    if (t < 0 || age[t] !== SURVIVOR) continue;
    const c = clusters.ofTop.get(t);
    if (!c) continue;
    let x = insides.get(c);
    if (!x) {
      x = { objects: 0, fresh: 0, kinds: new Map() };
      insides.set(c, x);
    }
    x.objects++;
    if (age[v] === FRESH && v !== t) x.fresh++;
    const kind = kinds.of(v);
    const k = x.kinds.get(kind) ?? { count: 0, size: 0 };
    k.count++;
    k.size += selfSize[v]!;
    x.kinds.set(kind, k);
  }
  return insides;
}

/** Objects held at a cluster's places under its holders, in target and final. */
interface Held {
  readonly target: Map<Building, { held: number; fresh: number }>;
  readonly final: Map<Building, { held: number; fresh: number }>;
}

/**
 * The clusters' held populations: in each of target and final, the objects of a cluster's kind
 * whose holder and place match one of its population keys (the holders are old, so present in
 * both). In target, holders are the objects already in base.
 */
function countHeld(target: HeapSnapshot, final: HeapSnapshot, age: Ages, kinds: LeakKinds, placement: Placement, clusters: readonly Building[]): Held {
  const byKey = new Map<string, Building[]>();
  const wantedKinds = new Set<string>();
  for (const c of clusters) {
    wantedKinds.add(c.kind);
    for (const k of c.keys) {
      const key = `${c.kind}|${k}`;
      const list = byKey.get(key);
      if (list) list.push(c);
      else byKey.set(key, [c]);
    }
  }
  const { oldInTarget } = age;
  const targetPlacement = new Placement(target, new Tokenizer(target), (u) => oldInTarget[u] === 1);
  return {
    target: population(target, leakKinds(target), targetPlacement, byKey, wantedKinds, null),
    final: population(final, kinds, placement, byKey, wantedKinds, age.final),
  };
}

/**
 * One snapshot's populations: per cluster, its objects held (by kind, holder id and place) and,
 * given the ages of final, how many of them are fresh. One pass over the nodes; the string key
 * is built only for nodes of a wanted kind.
 */
function population(
  snap: HeapSnapshot,
  kinds: LeakKinds,
  placement: Placement,
  byKey: ReadonlyMap<string, readonly Building[]>,
  wantedKinds: ReadonlySet<string>,
  age: Uint8Array | null,
): Map<Building, { held: number; fresh: number }> {
  const counts = new Map<Building, { held: number; fresh: number }>();
  const { parentEdge } = pathTree(snap);
  const wanted = new Uint8Array(kinds.labels.length);
  kinds.labels.forEach((l, i) => {
    if (wantedKinds.has(l)) wanted[i] = 1;
  });
  const { ids, labels } = kinds;
  const { owner, nodeId } = snap;
  for (let v = 0; v < snap.nodeCount; v++) {
    if (!wanted[ids[v]!] || parentEdge[v] === -1 || owner[v] !== NO_NODE) continue;
    const h = placement.holder(v);
    const list = byKey.get(`${labels[ids[v]!]!}|${nodeId[h]}|${placement.place(v)}`);
    if (!list) continue;
    const fresh = age !== null && age[v] === FRESH ? 1 : 0;
    for (const c of list) {
      const x = counts.get(c);
      if (x) {
        x.held++;
        x.fresh += fresh;
      } else counts.set(c, { held: 1, fresh });
    }
  }
  return counts;
}

/** How many kinds a cluster's contents list: the largest by self size. */
const CONTENT_KINDS = 5;
/** How many survivor ids a cluster lists. */
const SAMPLE_IDS = 5;

/**
 * A cluster as reported: its growth (retained size in target and final, held populations) and
 * the verdict growing or settled, its contents, representative and holder.
 */
function summarize(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot, kinds: LeakKinds, c: Building, inside: Inside | undefined, held: Held): LeakCluster {
  const { nodeId } = final;
  let retainedInTarget = 0;
  for (const v of c.survivors) {
    const t = target.ordinalOfId(nodeId[v]!);
    if (t >= 0) retainedInTarget += target.retainedSize[t]!;
  }
  const ins = inside ?? { objects: c.survivors.length, fresh: 0, kinds: new Map<string, { count: number; size: number }>() };
  const contents = [...ins.kinds]
    .map(([kind, x]) => ({ kind, count: x.count, size: x.size }))
    .sort((a, b) => b.size - a.size || b.count - a.count)
    .slice(0, CONTENT_KINDS);
  const inFinal = held.final.get(c) ?? { held: 0, fresh: 0 };
  const heldCounts = { target: held.target.get(c)?.held ?? 0, final: inFinal.held };
  const growing = (inFinal.fresh > 0 && heldCounts.final > heldCounts.target) || (ins.fresh > 0 && c.retained > retainedInTarget * RETAINED_GROWTH);
  const rep = describe(final, c.rep, kinds);
  const holder = describe(final, c.repHolder, kinds);
  return {
    type: 'objects',
    kind: c.kind,
    shape: c.shape,
    otherShapes: c.otherShapes,
    count: c.survivors.length,
    fresh: inFinal.fresh,
    retainedSize: c.retained,
    retainedSizeInTarget: retainedInTarget,
    objects: ins.objects,
    contents,
    held: heldCounts,
    growing,
    representative: rep,
    holder,
    via: rep.path.startsWith(holder.path) ? rep.path.slice(holder.path.length) : rep.path,
    holders: c.holders.size,
    sampleIds: c.survivors.slice(0, SAMPLE_IDS).map((v) => nodeId[v]!),
    holderRetained: retainedInEach(base, target, final, c.repHolder),
    value: null,
  };
}

/** The retained size of final's old object `ord` in each snapshot, found by id; null for the root (or an object missing from one). */
function retainedInEach(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot, ord: number): InEach | null {
  if (ord === final.rootOrdinal) return null;
  const id = final.nodeId[ord]!;
  const b = base.ordinalOfId(id);
  const t = target.ordinalOfId(id);
  if (b < 0 || t < 0) return null;
  return { base: base.retainedSize[b]!, target: target.retainedSize[t]!, final: final.retainedSize[ord]! };
}

/**
 * A growing value as a cluster of its own type: one value at its place, its contents the new
 * objects it dominates, its paths named the way the code names them (namedPath).
 */
function growingValue(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot, age: Uint8Array, kinds: LeakKinds, g: GrowingValue): LeakCluster {
  const v = g.ordinal;
  const byKind = new Map<string, { count: number; size: number }>();
  let objects = 0;
  const selfSize = final.nodeSelfSize;
  for (const u of dominatedOrdinals(final, Uint32Array.of(v))) {
    if (age[u] === OLD) continue;
    objects++;
    const kind = kinds.of(u);
    const k = byKind.get(kind) ?? { count: 0, size: 0 };
    k.count++;
    k.size += selfSize[u]!;
    byKind.set(kind, k);
  }
  const contents = [...byKind]
    .map(([kind, x]) => ({ kind, count: x.count, size: x.size }))
    .sort((a, b) => b.size - a.size || b.count - a.count)
    .slice(0, CONTENT_KINDS);
  const named = (ord: number): LeakObject => {
    const edges = treePath(final, ord);
    return { ...describe(final, ord, kinds), path: edges ? namedPath(final, edges) : '(no strong path)' };
  };
  const rep = named(v);
  const holder = named(g.holder);
  const inEach = (x: readonly [number, number, number]): InEach => ({ base: x[0], target: x[1], final: x[2] });
  return {
    type: 'growing value',
    kind: rep.kind,
    shape: rep.path,
    otherShapes: 0,
    count: 1,
    fresh: 1,
    retainedSize: g.sizes[2],
    retainedSizeInTarget: g.sizes[1],
    objects,
    contents,
    held: { target: 1, final: 1 },
    growing: true,
    representative: rep,
    holder,
    via: g.step,
    holders: 1,
    sampleIds: [g.ids[2]],
    holderRetained: retainedInEach(base, target, final, g.holder),
    value: { ids: inEach(g.ids), sizes: inEach(g.sizes), entries: g.entries ? inEach(g.entries) : null },
  };
}

function describe(snap: HeapSnapshot, ord: number, kinds: LeakKinds): LeakObject {
  return {
    id: snap.nodeId[ord]!,
    ordinal: ord,
    kind: ord === snap.rootOrdinal ? '(root)' : kinds.of(ord),
    brief: ord === snap.rootOrdinal ? 'Root' : nodeBrief(snap, ord),
    path: treePathText(snap, ord),
  };
}

/** The report: growing clusters first, then by retained size and count; settled ones only with `all`; at most `limit`. */
function rank(age: Ages, clusters: LeakCluster[], options: LeakOptions): LeakReport {
  clusters.sort((a, b) => Number(b.growing) - Number(a.growing) || b.retainedSize - a.retainedSize || b.count - a.count);
  const growing = clusters.filter((c) => c.growing);
  return {
    newInTarget: age.newInTarget,
    survivors: age.survivors,
    freshInFinal: age.freshInFinal,
    clusters: (options.all ? clusters : growing).slice(0, options.limit ?? DEFAULT_LIMIT),
    settled: clusters.length - growing.length,
  };
}
