/**
 * Path shapes: the shortest paths of many objects generalized into the few shapes a leak report
 * names (`Root.global.cache.get(*)`), and where each object hangs from old state.
 *
 * A path is a list of tokens, one per step: element indexes, Map keys and Set members become `*`
 * at once; property names are kept until a trie of all the paths shows which of them are data
 * (many names under one node, each holding one or two objects) rather than code; runs of one
 * step collapse (`(.next)+`).
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { MapSlots, tableSlot } from '../query/hashtable.js';
import { edgeStep, ephemeronEdge, joinSteps, type RunFormat } from '../query/paths.js';
import { pathTree } from './spt.js';

// Token marks, chosen below any character a property name or step text starts with.
/** Starts a property token: `PROPERTY + name`, generalized or not by the trie. */
const PROPERTY = '\u0001';
/** A property step the trie generalized: rendered `[*]`. */
const ANY_PROPERTY = '\u0002';
/** Starts the last token of a raw path: `KIND + kind`, so one trie leaf is one (path, kind). */
const KIND = '\u0003';
/** Joins tokens into one string key. */
const SEP = '\u0004';

// A trie node whose objects leave through more than this many property names, most of them
// holding one or two objects each, is a dictionary: its keys are data, not code, and merge to [*].
// Measured on the seven leak programs' snapshots: every value from 6 to 1000 gives the same
// clusters; at 4 the global object's few timer properties merge into Root.global[*], at 2 its
// `_events` too. 8 keeps a margin above the code's own fan-out, while a leaking keyed cache has
// hundreds of keys.
const KEYED_FANOUT = 8;

/**
 * Steps of paths as generalized tokens. Property names are kept (a trie decides later which to
 * generalize); indexes, Map keys and Set members become `*`. Map table slots are told apart
 * (key or value) by the table's layout, read once per table.
 */
export class Tokenizer {
  private readonly snap: HeapSnapshot;
  private readonly mapSlots: MapSlots;
  constructor(snap: HeapSnapshot) {
    this.snap = snap;
    this.mapSlots = new MapSlots(snap);
  }

  /** The token of edge `e` out of `from`; property steps are returned as `PROPERTY + name` so the trie can generalize them. */
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
        return PROPERTY + s.edgeNameString(e);
      case ty.edgeInternal: {
        const slot = tableSlot(s, e);
        // A WeakMap's key -> value edge out of its table: one value of many, as a Map's `.get(*)`.
        if (slot < 0) return ephemeronEdge(s, s.edgeNameString(e))?.table === from ? '.get(*)' : edgeStep(s, from, e);
        const owner = s.owner[from]!;
        if (owner !== NO_NODE) {
          const cls = s.className(owner);
          if (cls === 'Map' || cls === 'WeakMap') return this.mapSlots.isValue(from, slot) ? '.get(*)' : '.keys()[*]';
          if (cls === 'Set' || cls === 'WeakSet') return '.values()[*]';
        }
        return '.[[*]]';
      }
      default:
        return edgeStep(s, from, e);
    }
  }
}

// A shape stands for paths of many lengths, so a run of one step repeated even twice becomes
// `(step)+`. Pairs stay spelled out: the trie tells `.a.b.a.b` from `.a.b.a.b.a.b`, so their text must too.
const SHAPE_RUNS: RunFormat = { minRepeats: 2, pairs: false, format: (unit) => `(${unit})+` };

/** Renders a token list as path text. */
function renderTokens(tokens: readonly string[]): string {
  const steps = tokens.map((t) => (t.startsWith(PROPERTY) ? propertyText(t.slice(1)) : t === ANY_PROPERTY ? '[*]' : t));
  return 'Root' + joinSteps(steps, SHAPE_RUNS);
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

/** Merges property children of dictionary-like nodes into one ANY_PROPERTY child, recursively. */
function generalizeTrie(node: TrieNode): void {
  let props = 0;
  let sparse = 0;
  for (const [k, c] of node.children) {
    if (k.startsWith(PROPERTY)) {
      props++;
      if (c.count <= 2) sparse++;
    }
  }
  if (props > KEYED_FANOUT && sparse * 2 >= props) {
    const star = node.children.get(ANY_PROPERTY) ?? newTrie();
    for (const [k, c] of [...node.children]) {
      if (!k.startsWith(PROPERTY)) continue;
      node.children.delete(k);
      mergeTrie(star, c);
    }
    node.children.set(ANY_PROPERTY, star);
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
    if (!next && t.startsWith(PROPERTY) && node?.children.has(ANY_PROPERTY)) {
      next = node.children.get(ANY_PROPERTY);
      g = ANY_PROPERTY;
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

/** The path shapes of a list of objects, from {@link pathShapes}. */
export interface PathShapes {
  /** Per object (index into the list given): the index of its path, or -1 when it has no strong path. */
  readonly pathOf: Int32Array;
  /** Per path: the kind of the objects on it. */
  readonly kind: readonly string[];
  /** Per path: its generalized shape, e.g. `Root.global.cache.get(*)`. */
  readonly shape: readonly string[];
}

/** A path prefix as a token key, with its last token (to collapse runs while appending). */
interface Prefix {
  readonly key: string;
  readonly last: string;
}

/**
 * The generalized shortest path of each object in `objects` (in `snap`), by kind. Objects with
 * the same raw path and kind share one entry (a leak's thousands of `items[i]` all read
 * `items[*]`), so the trie and the rendering work per distinct path rather than per object, and
 * path prefixes are memoized per node, since objects share their parents' prefixes.
 */
export function pathShapes(snap: HeapSnapshot, tokenizer: Tokenizer, objects: readonly number[], kindOf: (v: number) => string): PathShapes {
  const tree = pathTree(snap);
  const rawIndex = new Map<string, number>();
  const rawLists: string[][] = [];
  const rawCount: number[] = [];
  const pathOf = new Int32Array(objects.length).fill(-1);
  const prefix = new Map<number, Prefix>([[snap.rootOrdinal, { key: '', last: '' }]]);
  const append = (p: Prefix, t: string): Prefix => (t === '' || t === p.last ? p : { key: p.key === '' ? t : p.key + SEP + t, last: t });
  const prefixOf = (u: number): Prefix | undefined => {
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
  for (let i = 0; i < objects.length; i++) {
    const v = objects[i]!;
    if (tree.parentEdge[v] === -1) continue;
    const parent = prefixOf(tree.parentNode[v]!);
    if (!parent) continue;
    const own = append(parent, tokenizer.token(tree.parentNode[v]!, tree.parentEdge[v]!));
    const key = (own.key === '' ? '' : own.key + SEP) + KIND + kindOf(v);
    let r = rawIndex.get(key);
    if (r === undefined) {
      r = rawLists.length;
      rawIndex.set(key, r);
      rawLists.push(key.split(SEP));
      rawCount.push(0);
    }
    rawCount[r]!++;
    pathOf[i] = r;
  }
  const trie = newTrie();
  rawLists.forEach((raw, r) => {
    const n = rawCount[r]!;
    let node = trie;
    node.count += n;
    for (const t of raw) {
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
  return {
    pathOf,
    kind: rawLists.map((raw) => raw[raw.length - 1]!.slice(KIND.length)),
    shape: rawLists.map((raw) => renderTokens(collapse(generalize(trie, raw).slice(0, -1)))),
  };
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
export class Placement {
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
    return t.startsWith(PROPERTY) ? '*' : t;
  }
}
