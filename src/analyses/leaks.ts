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
 */
import { ExitCode, HeapyError } from '../errors.js';
import { maxIds, NO_DISTANCE, NO_NODE, type HeapSnapshot, type ProgressCallback } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { edgeStep, nodeBrief, renderPath } from '../query/paths.js';
import { formatBytes, formatCount } from '../util/format.js';
import { pathTree, treePath } from './spt.js';

/** Options of {@link findLeaks}. */
export interface LeakOptions {
  /** Report clusters that stopped growing after target too (default false). */
  readonly all?: boolean;
  /** At most this many clusters (default 20). */
  readonly limit?: number;
  /** Called at each phase of the analysis (matching ids, tops, paths, clusters, growth, done). */
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

/** One cluster of leaked objects: one kind, one path shape. */
export interface LeakCluster {
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
  /** Objects of this kind at the cluster's place under its holders (same first step and depth), in target and in final. */
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

const OLD = 0;
const SURVIVOR = 1;
const FRESH = 2;
const GONE = 3;

// A trie node whose objects leave through more than this many property names, most of them
// holding one or two objects each, is a dictionary: its keys are data, not code, and merge to [*].
const KEYED_FANOUT = 8;

// Retained size counts as grown when it rose by more than this factor (and fresh objects are inside).
const RETAINED_GROWTH = 1.1;

/** Age of every final node: OLD (in base), SURVIVOR (in target), FRESH (in neither), GONE (unreachable). */
function ages(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot): Uint8Array {
  const N = final.nodeCount;
  const age = new Uint8Array(N);
  const { nodeId, distance } = final;
  for (let v = 0; v < N; v++) {
    if (distance[v] === NO_DISTANCE) {
      age[v] = GONE;
      continue;
    }
    const id = nodeId[v]!;
    age[v] = base.ordinalOfId(id) >= 0 ? OLD : target.ordinalOfId(id) >= 0 ? SURVIVOR : FRESH;
  }
  age[final.rootOrdinal] = OLD;
  return age;
}

/**
 * Refuses snapshots that cannot be compared by id: out of order (V8 ids only grow, so a later
 * snapshot has the larger largest id), or not of one process (objects with the same id have
 * different types or names: checked on up to 2,000 ids, evenly spread).
 */
function checkSequence(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot): void {
  const [b, t, f] = [base, target, final].map((s) => maxIds(s.nodeId).js) as [number, number, number];
  if (b > t || t > f) {
    throw new HeapyError(`the snapshots are out of order: give base, target and final as taken (largest object ids ${b}, ${t}, ${f})`, ExitCode.badInput);
  }
  for (const [earlier, name] of [
    [base, 'base'],
    [target, 'target'],
  ] as const) {
    let same = 0;
    let checked = 0;
    const step = Math.max(1, Math.floor(final.nodeCount / 2000));
    for (let v = 0; v < final.nodeCount; v += step) {
      const o = earlier.ordinalOfId(final.nodeId[v]!);
      if (o < 0) continue;
      checked++;
      if (earlier.nodeType[o] === final.nodeType[v] && earlier.nodeNameString(o) === final.nodeNameString(v)) same++;
    }
    if (checked >= 50 && same < checked * 0.8) {
      throw new HeapyError(
        `${name} and final are not snapshots of one process: of ${checked} objects with the same id, ${checked - same} differ in type or name`,
        ExitCode.badInput,
      );
    }
  }
}

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

/**
 * Steps of paths as generalized tokens. Property names are kept (a trie decides later which to
 * generalize); indexes, Map keys and Set members become `*`. Map table slots are told apart
 * (key or value) with one scan per table, cached, instead of one scan per step.
 */
class Tokenizer {
  private readonly snap: HeapSnapshot;
  private readonly slots = new Map<number, Set<number>>();
  private readonly entryStart = new Map<number, number>();
  constructor(snap: HeapSnapshot) {
    this.snap = snap;
  }

  /** Property steps are returned as `\u0001name` so the trie can generalize them. */
  token(from: number, e: number): string {
    const s = this.snap;
    const ty = s.types;
    const t = s.edgeType[e];
    if (from === s.rootOrdinal) return edgeStep(s, from, e);
    if (s.nodeType[from] === ty.synthetic) {
      return t === ty.edgeElement || t === ty.edgeHidden ? '[*]' : edgeStep(s, from, e);
    }
    switch (t) {
      case ty.edgeElement:
        return '[*]';
      case ty.edgeHidden:
        return '.[[*]]';
      case ty.edgeProperty:
      case ty.edgeShortcut:
        return '\u0001' + s.edgeNameString(e);
      case ty.edgeInternal: {
        const name = s.edgeNameString(e);
        if (/^\d+$/.test(name)) {
          const owner = s.owner[from]!;
          if (owner !== NO_NODE) {
            const cls = s.className(owner);
            if (cls === 'Map' || cls === 'WeakMap') return this.isValueSlot(from, Number(name)) ? '.get(*)' : '.keys()[*]';
            if (cls === 'Set' || cls === 'WeakSet') return '.values()[*]';
          }
          return '.[[*]]';
        }
        return edgeStep(s, from, e);
      }
      default:
        return edgeStep(s, from, e);
    }
  }

  /**
   * Whether slot `slot` of a Map's table (V8's OrderedHashMap) holds a value. The table is
   * [elements, deleted, buckets, bucket heads × B, entries × 2B of (key, value, chain)], so its
   * length is 3 + 7B and entries start at 3 + B; the length comes from the self size (16-byte
   * header and 8-byte slots in Node, 8 and 4 with pointer compression as in Chrome). Smi keys have
   * no edge, so this works where looking for a key edge next to the value does not. Falls back to
   * that neighbour test when the size fits neither layout.
   */
  private isValueSlot(table: number, slot: number): boolean {
    let start = this.entryStart.get(table);
    if (start === undefined) {
      const size = this.snap.nodeSelfSize[table]!;
      start = -1;
      for (const [header, word] of [
        [16, 8],
        [8, 4],
      ] as const) {
        const length = (size - header) / word;
        if (Number.isInteger(length) && length >= 10 && (length - 3) % 7 === 0) {
          start = 3 + (length - 3) / 7;
          break;
        }
      }
      this.entryStart.set(table, start);
    }
    if (start >= 0 && slot >= start) return (slot - start) % 3 === 1;
    let set = this.slots.get(table);
    if (!set) {
      set = new Set();
      const s = this.snap;
      for (let e = s.firstEdge[table]!, end = s.firstEdge[table + 1]!; e < end; e++) {
        const n = Number(s.edgeNameString(e));
        if (Number.isInteger(n)) set.add(n);
      }
      this.slots.set(table, set);
    }
    return set.has(slot - 1);
  }
}

/** Renders a token list as path text. */
function renderTokens(tokens: readonly string[]): string {
  let out = 'Root';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let text = t.startsWith('\u0001') ? propertyText(t.slice(1)) : t === '\u0002' ? '[*]' : t;
    let j = i;
    while (j + 1 < tokens.length && tokens[j + 1] === t) j++;
    if (j > i) {
      text = `(${text})+`;
      i = j;
    }
    out += text;
  }
  return out;
}

function propertyText(name: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(name)) return '.' + name;
  const sym = /^<symbol (.*)>$/.exec(name);
  if (sym) return `[${sym[1]}]`;
  return `[${JSON.stringify(name)}]`;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Members whose token list passes through this node. */
  count: number;
}

function newTrie(): TrieNode {
  return { children: new Map(), count: 0 };
}

function mergeTrie(dst: TrieNode, src: TrieNode): void {
  dst.count += src.count;
  for (const [k, c] of src.children) {
    const d = dst.children.get(k);
    if (d) mergeTrie(d, c);
    else dst.children.set(k, c);
  }
}

/** Merges property children of dictionary-like nodes into one `\u0002` ([*]) child, recursively. */
function generalizeTrie(node: TrieNode): void {
  let props = 0;
  let sparse = 0;
  for (const [k, c] of node.children) {
    if (k.startsWith('\u0001')) {
      props++;
      if (c.count <= 2) sparse++;
    }
  }
  if (props > KEYED_FANOUT && sparse * 2 >= props) {
    const star = node.children.get('\u0002') ?? newTrie();
    for (const [k, c] of [...node.children]) {
      if (!k.startsWith('\u0001')) continue;
      node.children.delete(k);
      mergeTrie(star, c);
    }
    node.children.set('\u0002', star);
  }
  for (const c of node.children.values()) generalizeTrie(c);
}

/** Walks raw tokens through a generalized trie, returning the generalized tokens. */
function generalize(trie: TrieNode, tokens: readonly string[]): string[] {
  const out: string[] = [];
  let node: TrieNode | undefined = trie;
  for (const t of tokens) {
    let next: TrieNode | undefined = node?.children.get(t);
    let g = t;
    if (!next && t.startsWith('\u0001') && node?.children.has('\u0002')) {
      next = node.children.get('\u0002');
      g = '\u0002';
    }
    out.push(g);
    node = next;
  }
  return out;
}

/** Collapses runs of one token (a linked list's `.next.next.next`). */
function collapse(tokens: string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (t === '') continue;
    if (out.length > 0 && out[out.length - 1] === t) continue;
    out.push(t);
  }
  return out;
}

/**
 * Where each node hangs from old state, memoized along the shortest-path tree: its holder (the
 * nearest ancestor, itself left out, that is old and not a backing store; the root when none) and
 * its place below the holder: the generalized first step (`*` for property names), looking
 * through the holder's own backing store (a Map's table, an array's elements), and the number of
 * steps, backing stores not counted. Objects of one kind at one place under one holder are one
 * population (a Map's values, not the objects inside them). Every node is worked out once, from
 * its parent's answer, so asking for all nodes costs O(N).
 */
class Placement {
  private readonly snap: HeapSnapshot;
  private readonly tok: Tokenizer;
  private readonly isOld: (u: number) => boolean;
  private readonly holderOf: Int32Array;
  private readonly depthOf: Int32Array;
  private readonly stepOf: (string | undefined)[];
  constructor(snap: HeapSnapshot, tok: Tokenizer, isOld: (u: number) => boolean) {
    this.snap = snap;
    this.tok = tok;
    this.isOld = isOld;
    this.holderOf = new Int32Array(snap.nodeCount).fill(-2);
    this.depthOf = new Int32Array(snap.nodeCount);
    this.stepOf = new Array<string | undefined>(snap.nodeCount);
  }

  /** The holder of v (see the class comment). */
  holder(v: number): number {
    this.solve(v);
    return this.holderOf[v]!;
  }

  /** `${firstStep}|${depth}` of v below its holder. */
  place(v: number): string {
    this.solve(v);
    return `${this.stepOf[v] ?? '?'}|${this.depthOf[v]}`;
  }

  private solve(v: number): void {
    const { holderOf } = this;
    if (holderOf[v] !== -2) return;
    const { parentNode, parentEdge } = pathTree(this.snap);
    const owner = this.snap.owner;
    const root = this.snap.rootOrdinal;
    // Climb to the first node already solved (or the root), then solve downwards.
    const chain: number[] = [];
    let u = v;
    while (u >= 0 && holderOf[u] === -2) {
      chain.push(u);
      u = parentNode[u]!;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const x = chain[i]!;
      const p = parentNode[x]!;
      if (p < 0) {
        holderOf[x] = root;
        continue;
      }
      const counted = owner[x] === NO_NODE ? 1 : 0;
      if (this.isOld(p) && owner[p] === NO_NODE) {
        holderOf[x] = p;
        this.depthOf[x] = counted;
        this.stepOf[x] = this.step(p, parentEdge[x]!);
        continue;
      }
      const h = holderOf[p]!;
      holderOf[x] = h;
      this.depthOf[x] = this.depthOf[p]! + counted;
      // A child of the holder's own store: the step out of the store is the one that tells.
      this.stepOf[x] = owner[p] === h && parentNode[p] === h ? this.step(p, parentEdge[x]!) : this.stepOf[p];
    }
  }

  private step(from: number, e: number): string {
    const t = this.tok.token(from, e);
    return t.startsWith('\u0001') ? '*' : t;
  }
}

function describe(snap: HeapSnapshot, ord: number, kinds: LeakKinds): LeakObject {
  const edges = treePath(snap, ord);
  return {
    id: snap.nodeId[ord]!,
    ordinal: ord,
    kind: ord === snap.rootOrdinal ? '(root)' : kinds.of(ord),
    brief: ord === snap.rootOrdinal ? 'Root' : nodeBrief(snap, ord),
    path: edges ? renderPath(snap, edges) : '(no strong path)',
  };
}

/** Finds what leaked between base and target and is still held in final; see the module comment. */
export function findLeaks(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot, options: LeakOptions = {}): LeakReport {
  const progress = options.onProgress ?? (() => {});
  const limit = options.limit ?? 20;
  progress('matching ids', 0, 1);
  checkSequence(base, target, final);
  const age = ages(base, target, final);
  const N = final.nodeCount;
  const { dominator, owner, retainedSize, nodeId } = final;
  const fkinds = leakKinds(final);

  let newInTarget = 0;
  for (let v = 0; v < target.nodeCount; v++) {
    if (target.distance[v] !== NO_DISTANCE && base.ordinalOfId(target.nodeId[v]!) < 0) newInTarget++;
  }
  let survivors = 0;
  let freshInFinal = 0;
  for (let v = 0; v < N; v++) {
    if (age[v] === SURVIVOR) survivors++;
    else if (age[v] === FRESH) freshInFinal++;
  }

  // Tops: new objects (not stores) whose effective dominator, a store read as its owner, is old.
  progress('tops', 0, 1);
  const effDom = (v: number): number => {
    let d = dominator[v]!;
    if (d !== NO_NODE && owner[d] !== NO_NODE) d = owner[d]!;
    return d;
  };
  const isNew = (v: number) => age[v] === SURVIVOR || age[v] === FRESH;
  // topOf: the top object a new node belongs to (-1: none, e.g. an internal top); -2 = unknown.
  const topOf = new Int32Array(N).fill(-2);
  const isTop = new Uint8Array(N);
  const chain: number[] = [];
  for (let v = 0; v < N; v++) {
    if (!isNew(v) || topOf[v] !== -2) continue;
    chain.length = 0;
    let u = v;
    let result = -1;
    while (true) {
      if (topOf[u] !== -2) {
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
      const d = effDom(u);
      if (d === NO_NODE || !isNew(d)) {
        if (isInternal(final, u)) result = -1;
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
  const tops: number[] = [];
  for (let v = 0; v < N; v++) if (isTop[v]) tops.push(v);

  // Paths of the tops in final, as raw tokens; then the trie decides which names generalize.
  progress('paths', 0, tops.length);
  const tree = pathTree(final);
  const tokenizer = new Tokenizer(final);
  // Tops with the same raw path share one token list (a leak's thousands of `items[i]` all read
  // `items[*]`): keep each distinct list once, with its count, so the trie and the rendering work
  // per distinct path rather than per object.
  const rawIndex = new Map<string, number>();
  const rawLists: string[][] = [];
  const rawCount: number[] = [];
  const rawOf = new Int32Array(tops.length).fill(-1);
  // Token keys of path prefixes, memoized per node: tops share their parents' prefixes.
  const SEP = '\u0004';
  const prefix = new Map<number, { key: string; last: string }>([[final.rootOrdinal, { key: '', last: '' }]]);
  const append = (p: { key: string; last: string }, t: string) => (t === '' || t === p.last ? p : { key: p.key === '' ? t : p.key + SEP + t, last: t });
  const prefixOf = (u: number): { key: string; last: string } | undefined => {
    const chain: number[] = [];
    let x = u;
    while (!prefix.has(x)) {
      if (tree.parentEdge[x] === -1) return undefined;
      chain.push(x);
      x = tree.parentNode[x]!;
    }
    let acc = prefix.get(x)!;
    for (let i = chain.length - 1; i >= 0; i--) {
      const y = chain[i]!;
      acc = append(acc, tokenizer.token(tree.parentNode[y]!, tree.parentEdge[y]!));
      prefix.set(y, acc);
    }
    return acc;
  };
  for (let i = 0; i < tops.length; i++) {
    const v = tops[i]!;
    if (tree.parentEdge[v] === -1) continue;
    const parent = prefixOf(tree.parentNode[v]!);
    if (!parent) continue;
    const own = append(parent, tokenizer.token(tree.parentNode[v]!, tree.parentEdge[v]!));
    const key = (own.key === '' ? '' : own.key + SEP) + '\u0003' + fkinds.of(v);
    let r = rawIndex.get(key);
    if (r === undefined) {
      r = rawLists.length;
      rawIndex.set(key, r);
      rawLists.push(key.split(SEP));
      rawCount.push(0);
    }
    rawCount[r]!++;
    rawOf[i] = r;
  }
  const trie = newTrie();
  rawLists.forEach((c, r) => {
    const n = rawCount[r]!;
    let node = trie;
    node.count += n;
    for (const t of c) {
      let next = node.children.get(t);
      if (!next) {
        next = newTrie();
        node.children.set(t, next);
      }
      next.count += n;
      node = next;
    }
  });
  generalizeTrie(trie);

  // Clusters.
  progress('clusters', 0, 1);
  interface Acc {
    kind: string;
    shape: string;
    survivors: number[];
    retained: number;
    holders: Set<number>;
    /** Population keys: `${holderId}|${firstStep}`. */
    keys: Set<string>;
    rep: number;
    repHolder: number;
    otherShapes: number;
  }
  const clusters = new Map<string, Acc>();
  const clusterOfTop = new Map<number, Acc>();
  const oldInFinal = (u: number) => age[u] === OLD;
  const placeFinal = new Placement(final, tokenizer, oldInFinal);
  const shapeOfRaw = rawLists.map((raw) => renderTokens(collapse(generalize(trie, raw).slice(0, -1))));
  for (let i = 0; i < tops.length; i++) {
    const r = rawOf[i]!;
    if (r < 0) continue;
    const raw = rawLists[r]!;
    const v = tops[i]!;
    const kind = raw[raw.length - 1]!.slice(1);
    const shape = shapeOfRaw[r]!;
    const key = `${kind}\u0000${shape}`;
    let acc = clusters.get(key);
    if (!acc) {
      acc = { kind, shape, survivors: [], retained: 0, holders: new Set(), keys: new Set(), rep: -1, repHolder: -1, otherShapes: 0 };
      clusters.set(key, acc);
    }
    clusterOfTop.set(v, acc);
    const holder = placeFinal.holder(v);
    acc.holders.add(holder);
    acc.keys.add(`${nodeId[holder]}|${placeFinal.place(v)}`);
    if (age[v] === SURVIVOR) {
      acc.survivors.push(v);
      acc.retained += retainedSize[v]!;
      const d = final.distance[v]!;
      if (acc.rep < 0 || d < final.distance[acc.rep]! || (d === final.distance[acc.rep]! && retainedSize[v]! > retainedSize[acc.rep]!)) {
        acc.rep = v;
        acc.repHolder = holder;
      }
    }
  }
  // Clusters made only of fresh objects are not leaks by the three-snapshot rule. Clusters of one
  // kind at the same places under the same holders are one population whose shortest paths
  // happen to differ (a closure reached through its context in one, through a hidden slot in
  // another): merge them, keeping the shape of the larger.
  const merged = new Map<string, Acc>();
  for (const c of [...clusters.values()].filter((x) => x.survivors.length > 0).sort((a, b) => b.survivors.length - a.survivors.length)) {
    const key = `${c.kind}\u0000${[...c.keys].sort().join('\u0000')}`;
    const into = merged.get(key);
    if (!into) {
      merged.set(key, c);
      continue;
    }
    into.otherShapes++;
    for (const v of c.survivors) clusterOfTop.set(v, into);
    for (const v of c.survivors) into.survivors.push(v);
    into.retained += c.retained;
    for (const h of c.holders) into.holders.add(h);
  }
  const candidates = [...merged.values()];

  // New objects inside survivors, and fresh objects inside them (growth of a survivor's insides).
  const inside = new Map<Acc, { objects: number; fresh: number; kinds: Map<string, { count: number; size: number }> }>();
  for (let v = 0; v < N; v++) {
    const t = topOf[v]!;
    if (t < 0 || age[t] !== SURVIVOR) continue;
    const acc = clusterOfTop.get(t);
    if (!acc) continue;
    let x = inside.get(acc);
    if (!x) {
      x = { objects: 0, fresh: 0, kinds: new Map() };
      inside.set(acc, x);
    }
    x.objects++;
    if (age[v] === FRESH && v !== t) x.fresh++;
    const kind = fkinds.of(v);
    const k = x.kinds.get(kind) ?? { count: 0, size: 0 };
    k.count++;
    k.size += final.nodeSelfSize[v]!;
    x.kinds.set(kind, k);
  }

  // Held populations: objects of the cluster's kind whose nearest old ancestor is one of its holders.
  progress('growth', 0, 1);
  const byKey = new Map<string, Acc[]>();
  const wantedKinds = new Set<string>();
  for (const c of candidates) {
    wantedKinds.add(c.kind);
    for (const k of c.keys) {
      const key = `${c.kind}|${k}`;
      const list = byKey.get(key);
      if (list) list.push(c);
      else byKey.set(key, [c]);
    }
  }
  const population = (snap: HeapSnapshot, placement: Placement): Map<Acc, { held: number; fresh: number }> => {
    const counts = new Map<Acc, { held: number; fresh: number }>();
    const kinds = snap === final ? fkinds : leakKinds(snap);
    const { parentEdge } = pathTree(snap);
    const wanted = new Uint8Array(kinds.labels.length);
    kinds.labels.forEach((l, i) => {
      if (wantedKinds.has(l)) wanted[i] = 1;
    });
    const ids = kinds.ids;
    const owner = snap.owner;
    for (let v = 0; v < snap.nodeCount; v++) {
      if (!wanted[ids[v]!] || parentEdge[v] === -1 || owner[v] !== NO_NODE) continue;
      const kind = kinds.labels[ids[v]!]!;
      const h = placement.holder(v);
      const list = byKey.get(`${kind}|${snap.nodeId[h]}|${placement.place(v)}`);
      if (!list) continue;
      const fresh = snap === final && age[v] === FRESH ? 1 : 0;
      for (const c of list) {
        const x = counts.get(c);
        if (x) {
          x.held++;
          x.fresh += fresh;
        } else counts.set(c, { held: 1, fresh });
      }
    }
    return counts;
  };
  const targetOld = new Uint8Array(target.nodeCount);
  for (let v = 0; v < target.nodeCount; v++) targetOld[v] = base.ordinalOfId(target.nodeId[v]!) >= 0 ? 1 : 0;
  targetOld[target.rootOrdinal] = 1;
  const heldTarget = population(target, new Placement(target, new Tokenizer(target), (u) => targetOld[u] === 1));
  const heldFinal = population(final, placeFinal);

  const out: LeakCluster[] = [];
  for (const c of candidates) {
    let retainedInTarget = 0;
    for (const v of c.survivors) {
      const t = target.ordinalOfId(nodeId[v]!);
      if (t >= 0) retainedInTarget += target.retainedSize[t]!;
    }
    const ins = inside.get(c) ?? { objects: c.survivors.length, fresh: 0, kinds: new Map<string, { count: number; size: number }>() };
    const contents = [...ins.kinds]
      .map(([kind, x]) => ({ kind, count: x.count, size: x.size }))
      .sort((a, b) => b.size - a.size || b.count - a.count)
      .slice(0, 5);
    const inFinal = heldFinal.get(c) ?? { held: 0, fresh: 0 };
    const held = { target: heldTarget.get(c)?.held ?? 0, final: inFinal.held };
    const growing = (inFinal.fresh > 0 && held.final > held.target) || (ins.fresh > 0 && c.retained > retainedInTarget * RETAINED_GROWTH);
    const rep = describe(final, c.rep, fkinds);
    const holder = describe(final, c.repHolder, fkinds);
    out.push({
      kind: c.kind,
      shape: c.shape,
      otherShapes: c.otherShapes,
      count: c.survivors.length,
      fresh: inFinal.fresh,
      retainedSize: c.retained,
      retainedSizeInTarget: retainedInTarget,
      objects: ins.objects,
      contents,
      held,
      growing,
      representative: rep,
      holder,
      via: rep.path.startsWith(holder.path) ? rep.path.slice(holder.path.length) : rep.path,
      holders: c.holders.size,
      sampleIds: c.survivors.slice(0, 5).map((v) => nodeId[v]!),
    });
  }
  out.sort((a, b) => Number(b.growing) - Number(a.growing) || b.retainedSize - a.retainedSize || b.count - a.count);
  const shown = options.all ? out : out.filter((c) => c.growing);
  progress('done', 1, 1);
  return {
    newInTarget,
    survivors,
    freshInFinal,
    clusters: shown.slice(0, limit),
    settled: out.length - out.filter((c) => c.growing).length,
  };
}

/** The report as text: one block per cluster, largest first. */
export function renderLeaks(r: LeakReport): string {
  const lines: string[] = [];
  const growing = r.clusters.filter((c) => c.growing).length;
  lines.push(
    `${formatCount(r.newInTarget)} objects were new in target; ${formatCount(r.survivors)} of them are still alive in final; ` +
      `${formatCount(r.freshInFinal)} more are new since target.`,
  );
  if (r.clusters.length === 0) {
    lines.push(
      r.settled > 0
        ? `No growing leak found (${r.settled} cluster${r.settled === 1 ? '' : 's'} of survivors stopped growing after target; --all shows them).`
        : 'No leak found: nothing new since base is still held in final.',
    );
    return lines.join('\n');
  }
  const settledShown = r.clusters.length - growing;
  const settledNote =
    settledShown > 0 ? `, ${settledShown} that stopped growing` : r.settled > 0 ? ` (${r.settled} that stopped growing not shown; --all shows them)` : '';
  lines.push(`${growing} growing cluster${growing === 1 ? '' : 's'}${settledNote}, largest retained size first:`);
  r.clusters.forEach((c, i) => {
    lines.push('');
    const fresh = c.fresh > 0 ? ` (+${formatCount(c.fresh)} since target)` : '';
    lines.push(`#${i + 1} ${c.kind}: ${formatCount(c.count)} leaked${fresh}, retaining ${formatBytes(c.retainedSize)}${c.growing ? '' : '  [settled: stopped growing after target]'}`);
    lines.push(`   path:     ${c.shape}${c.otherShapes > 0 ? `  (and ${c.otherShapes} similar path${c.otherShapes === 1 ? '' : 's'})` : ''}`);
    const others = c.holders > 1 ? ` (1 of ${formatCount(c.holders)} holders)` : '';
    lines.push(`   holder:   ${c.holder.kind === '(root)' ? 'Root' : `${c.holder.kind} @${c.holder.id}`}${others} at ${c.holder.path}`);
    lines.push(`   example:  ${c.representative.path}  ${c.representative.brief}`);
    lines.push(
      `   growth:   ${formatCount(c.held.target)} -> ${formatCount(c.held.final)} held by the holder${c.holders > 1 ? 's' : ''}; ` +
        `retained ${formatBytes(c.retainedSizeInTarget)} in target -> ${formatBytes(c.retainedSize)} in final`,
    );
    if (c.objects > c.count) {
      const parts = c.contents.map((k) => `${k.kind} x${formatCount(k.count)} (${formatBytes(k.size)})`);
      lines.push(`   contains: ${formatCount(c.objects)} new objects: ${parts.join(', ')}`);
    }
  });
  return lines.join('\n');
}
