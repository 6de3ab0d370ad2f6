/**
 * Advice from a heap: rules that read a snapshot and say what to change in the program, in V8's
 * terms, each with the bytes at stake and the objects to look at.
 *
 * Rules:
 * - dictionary-properties: instances of one class whose properties sit in a hash table
 *   (`(object properties)`, a NameDictionary), after `delete` or many late additions;
 * - out-of-line-properties: fields kept in a separate `system / PropertyArray` because they were
 *   added after the constructor;
 * - duplicate-strings: equal strings stored many times, with the bytes one copy each would save;
 * - closure-context: function contexts that keep a large object alive for closures that may not
 *   even use it (all closures of one call share one context);
 * - large-collection: arrays, Maps and Sets with many entries (and, given a base snapshot, the
 *   ones that grew);
 * - pending-promises / async-frames: promises waiting with callbacks attached, and suspended
 *   async functions or generators, in large numbers;
 * - timers / listeners: Timeout objects piling up, and events with many listeners;
 * - detached: DOM nodes the embedder marks detached (Chromium snapshots).
 */
import { inspect } from 'node:util';
import { NO_DISTANCE, NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { nodeBrief, renderPath } from '../query/paths.js';
import { formatBytes, formatCount } from '../util/format.js';
import { treePath } from './spt.js';

/** The rules, by name. */
export type HintRule =
  | 'dictionary-properties'
  | 'out-of-line-properties'
  | 'duplicate-strings'
  | 'closure-context'
  | 'large-collection'
  | 'pending-promises'
  | 'async-frames'
  | 'timers'
  | 'listeners'
  | 'detached';

/** An object a hint points at. */
export interface HintObject {
  /** The object's V8 heap id (the `@id` DevTools shows). */
  readonly id: number;
  /** The object's kind (class / dict of class). */
  readonly kind: string;
  /** A one-line description: a string's value, a number, or `<Kind @id>`. */
  readonly brief: string;
  /** Shortest path from the roots in `.sp` syntax. */
  readonly path: string;
  /** Bytes the object retains (what freeing it would free). */
  readonly retainedSize: number;
}

/** One piece of advice. */
export interface Hint {
  /** The rule that produced the hint. */
  readonly rule: HintRule;
  /** What was found, in one line. */
  readonly title: string;
  /** What to change. */
  readonly advice: string;
  /** Bytes at stake: what the change could free or save. */
  readonly bytes: number;
  /** Objects involved. */
  readonly count: number;
  /** Extra lines: examples, breakdowns. */
  readonly details: readonly string[];
  /** Objects to look at (a few). */
  readonly objects: readonly HintObject[];
}

/** Options of {@link findHints}. */
export interface HintOptions {
  /** Smallest number of bytes at stake worth a hint (default 64 KiB). */
  readonly minBytes?: number;
  /** Smallest number of promises, async frames, timers or collection entries worth a hint (default 1000). */
  readonly minCount?: number;
  /** Listeners on one event worth a hint (default 50; Node itself warns past 10). */
  readonly minListeners?: number;
  /** An earlier snapshot of the same process: collections that grew since are reported first. */
  readonly base?: HeapSnapshot;
}

const DEFAULT_MIN_BYTES = 64 * 1024;
const DEFAULT_MIN_COUNT = 1000;
const DEFAULT_MIN_LISTENERS = 50;
// A context variable counts as "large" from this retained size on (a small closure's whole
// context is ~100 bytes; 1 KiB is ten times that).
const LARGE_CONTEXT_VALUE = 1024;

/** Shared state of one run of the rules. */
class Scan {
  readonly snap: HeapSnapshot;
  readonly inSet: Uint8Array;
  readonly kinds: ReturnType<typeof kindTable>;
  constructor(snap: HeapSnapshot, members: ArrayLike<number> | null) {
    this.snap = snap;
    this.kinds = kindTable(snap);
    const N = snap.nodeCount;
    this.inSet = new Uint8Array(N);
    if (members) for (let j = 0; j < members.length; j++) this.inSet[members[j]!] = 1;
    else for (let v = 0; v < N; v++) this.inSet[v] = snap.distance[v] !== NO_DISTANCE && v !== snap.rootOrdinal ? 1 : 0;
  }
  kind(v: number): string {
    return this.kinds.names[this.kinds.kindOf[v]!]!;
  }
  object(v: number): HintObject {
    const s = this.snap;
    const edges = treePath(s, v);
    return { id: s.nodeId[v]!, kind: this.kind(v), brief: nodeBrief(s, v), path: edges ? renderPath(s, edges) : '(no strong path)', retainedSize: s.retainedSize[v]! };
  }
  /** The target of v's first edge named `name`, or -1. */
  child(v: number, name: string): number {
    const s = this.snap;
    for (let e = s.firstEdge[v]!, end = s.firstEdge[v + 1]!; e < end; e++) if (s.edgeNameString(e) === name) return s.edgeTo[e]!;
    return -1;
  }
  /** `script:line` of a closure, from the snapshot's locations (1-based line), or ''. */
  location(closure: number): string {
    const s = this.snap;
    const locs = s.locations;
    if (!locs) return '';
    const lf = s.meta.locationFields;
    const n = lf.length;
    const of = lf.indexOf('object_index');
    const lineF = lf.indexOf('line');
    for (let r = 0; r + n <= locs.length; r += n) {
      if (locs[r + of] !== closure) continue;
      // closure -shared-> SharedFunctionInfo -script_or_debug_info-> Script, named by its URL
      // (older V8: -script->, with the name as a string child).
      const shared = this.child(closure, 'shared');
      let script = shared >= 0 ? this.child(shared, 'script_or_debug_info') : -1;
      if (script < 0 && shared >= 0) script = this.child(shared, 'script');
      let file = '';
      if (script >= 0) {
        const name = this.child(script, 'name');
        file = name >= 0 && s.nodeType[name] === s.types.string ? s.nodeNameString(name) : s.nodeNameString(script);
      }
      file = file.replace(/^file:\/\//, '') || '<script>';
      return `${file}:${locs[r + lineF]! + 1}`;
    }
    return '';
  }
  /** Sum of retained sizes of `ords`, counting an object inside another one of them once. */
  retainedOf(ords: readonly number[]): number {
    const s = this.snap;
    const mark = new Set(ords);
    let total = 0;
    for (const v of ords) {
      let d = s.dominator[v]!;
      let inside = false;
      // Dominator chains are short (tens of levels); stop at 64 to stay bounded.
      for (let i = 0; i < 64 && d !== NO_NODE; i++) {
        if (mark.has(d)) {
          inside = true;
          break;
        }
        d = s.dominator[d]!;
      }
      if (!inside) total += s.retainedSize[v]!;
    }
    return total;
  }
}

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** True when most of an object's named properties hold functions (an API object, not a record). */
function mostlyFunctions(s: HeapSnapshot, o: number): boolean {
  let props = 0;
  let fns = 0;
  const closure = s.types.closure;
  for (let e = s.firstEdge[o]!, end = s.firstEdge[o + 1]!; e < end; e++) {
    if (s.edgeType[e] !== s.types.edgeProperty) continue;
    props++;
    if (s.nodeType[s.edgeTo[e]!] === closure) fns++;
  }
  return props > 0 && fns * 2 > props;
}

/** True when a function refers to the object as its `prototype` (V8 keeps many prototypes in dictionary mode). */
function isPrototype(s: HeapSnapshot, o: number): boolean {
  for (let k = s.firstRetainer[o]!, end = s.firstRetainer[o + 1]!; k < end; k++) {
    const r = s.retainerNode(k);
    if (s.nodeType[r] !== s.types.closure) continue;
    for (let e = s.firstEdge[r]!, ee = s.firstEdge[r + 1]!; e < ee; e++) {
      if (s.edgeTo[e] === o && s.edgeType[e] === s.types.edgeProperty && s.edgeNameString(e) === 'prototype') return true;
    }
  }
  return false;
}

/** dictionary-properties and out-of-line-properties. */
function propertyStores(scan: Scan, minBytes: number): Hint[] {
  const s = scan.snap;
  const dictName = s.stringTable.indexOf('(object properties)');
  const arrayName = s.stringTable.indexOf('system / PropertyArray');
  if (dictName < 0 && arrayName < 0) return [];
  const groups = new Map<number, { kind: number; dict: boolean; count: number; bytes: number; largest: number }>();
  const { owner, nodeName, nodeType, nodeSelfSize, distance } = s;
  const objectType = s.types.object;
  for (let p = 0; p < s.nodeCount; p++) {
    const o = owner[p]!;
    if (o === NO_NODE) continue;
    const name = nodeName[p];
    if (name !== dictName && name !== arrayName) continue;
    // Global objects keep their properties in a dictionary by design.
    if (!scan.inSet[o] || nodeType[o] !== objectType || distance[o] === 1) continue;
    // Namespaces, prototypes and module exports (mostly functions) are API surface, not records.
    if (mostlyFunctions(s, o) || isPrototype(s, o)) continue;
    const dict = name === dictName;
    const kind = scan.kinds.kindOf[o]!;
    const key = kind * 2 + (dict ? 1 : 0);
    let g = groups.get(key);
    if (!g) {
      g = { kind, dict, count: 0, bytes: 0, largest: o };
      groups.set(key, g);
    }
    g.count++;
    g.bytes += nodeSelfSize[p]!;
    if (s.retainedSize[o]! > s.retainedSize[g.largest]!) g.largest = o;
  }
  const out: Hint[] = [];
  for (const g of groups.values()) {
    if (g.bytes < minBytes) continue;
    const kind = scan.kinds.names[g.kind]!;
    const each = formatBytes(Math.round(g.bytes / g.count));
    const plain = kind === 'Object';
    if (g.dict) {
      out.push({
        rule: 'dictionary-properties',
        title: `${plural(g.count, `${kind} object`)} ${g.count === 1 ? 'is' : 'are'} in dictionary mode: ${formatBytes(g.bytes)} of hash-table property stores (${each} each)`,
        advice: plain
          ? 'These plain objects are used as dictionaries (keys added at run time, or deleted). Use a Map for key/value data; give records a fixed shape (a class, or a literal with every field) so V8 can store fields in-object.'
          : `Assign every field of ${kind} in its constructor, always in the same order, and never \`delete\` one (set it to undefined or null instead). V8 then keeps the fields in-object behind one shared hidden class, the V8 counterpart of Python's __slots__; a deleted field or many fields added later switch each object to a per-object hash table.`,
        bytes: g.bytes,
        count: g.count,
        details: [`property store per object: ${each}; the object itself: ${formatBytes(s.nodeSelfSize[g.largest]!)}`],
        objects: [scan.object(g.largest)],
      });
    } else {
      out.push({
        rule: 'out-of-line-properties',
        title: `${plural(g.count, `${kind} object`)} keep${g.count === 1 ? 's' : ''} fields out of line: ${formatBytes(g.bytes)} of property arrays (${each} each)`,
        advice: `Fields added to ${kind} after its constructor go to a separate PropertyArray (one more object per instance, and one more load per access). Initialise every field in the constructor, so V8 reserves in-object slots for them.`,
        bytes: g.bytes,
        count: g.count,
        details: [],
        objects: [scan.object(g.largest)],
      });
    }
  }
  return out;
}

/**
 * True when a program object holds the string (a JS object, array, Map/Set table, or a closure
 * context), not only V8's machinery: function names, scope infos and compiled code also keep
 * strings, one per function, which no program change would share.
 */
function heldAsData(s: HeapSnapshot, v: number): boolean {
  const ty = s.types;
  for (let k = s.firstRetainer[v]!, end = s.firstRetainer[v + 1]!; k < end; k++) {
    if (!s.retainerIsStrong(k)) continue;
    let r = s.retainerNode(k);
    const o = s.owner[r]!;
    if (o !== NO_NODE) r = o;
    const t = s.nodeType[r];
    if (t === ty.object) {
      const name = s.nodeNameString(r);
      if (!name.startsWith('system / ') || name === 'system / Context') return true;
    }
  }
  return false;
}

/** duplicate-strings. */
function duplicateStrings(scan: Scan, minBytes: number): Hint[] {
  const s = scan.snap;
  const { nodeType, nodeName, nodeSelfSize } = s;
  const strType = s.types.string;
  // V8 writes each distinct text once in the strings table, so equal contents share a name index;
  // the size tells apart texts longer than the 1024 characters the table keeps.
  const groups = new Map<number, { size: number; count: number; first: number; name: number }[]>();
  for (let v = 0; v < s.nodeCount; v++) {
    if (nodeType[v] !== strType || !scan.inSet[v] || !heldAsData(s, v)) continue;
    const name = nodeName[v]!;
    const size = nodeSelfSize[v]!;
    let list = groups.get(name);
    if (!list) {
      list = [];
      groups.set(name, list);
    }
    let g = list.find((x) => x.size === size);
    if (!g) {
      g = { size, count: 0, first: v, name };
      list.push(g);
    }
    g.count++;
  }
  const dups: { size: number; count: number; first: number; name: number; saved: number }[] = [];
  let saved = 0;
  let copies = 0;
  for (const list of groups.values()) {
    for (const g of list) {
      if (g.count < 2) continue;
      const x = { ...g, saved: (g.count - 1) * g.size };
      dups.push(x);
      saved += x.saved;
      copies += g.count - 1;
    }
  }
  if (saved < minBytes) return [];
  dups.sort((a, b) => b.saved - a.saved);
  const details = dups.slice(0, 5).map((d) => {
    const text = s.string(d.name);
    const shown = JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
    return `${shown} x${formatCount(d.count)} (${formatBytes(d.size)} each, ${formatBytes(d.saved)} to save)`;
  });
  return [
    {
      rule: 'duplicate-strings',
      title: `${plural(copies, 'extra copy')} of ${plural(dups.length, 'string')}: keeping one copy of each would save ${formatBytes(saved)}`.replace('extra copys', 'extra copies'),
      advice:
        'Equal strings stored many times: typically field values from JSON.parse, Buffer#toString or string building, kept per record. Keep one copy per value (a Map from text to the first copy), or store a small number or enum instead of repeated text.',
      bytes: saved,
      count: copies,
      details,
      objects: dups.slice(0, 3).map((d) => scan.object(d.first)),
    },
  ];
}

/** closure-context. */
function closureContexts(scan: Scan, minBytes: number): Hint[] {
  const s = scan.snap;
  const ctxName = s.stringTable.indexOf('system / Context');
  if (ctxName < 0) return [];
  const nativeName = s.stringTable.indexOf('system / NativeContext');
  const { nodeName, firstEdge, edgeType, edgeTo, dominator, retainedSize, firstRetainer, nodeType } = s;
  const ty = s.types;
  // Levels of `previous` links to the native context: 1 for module and script scopes (long-lived
  // singletons whose variables are the program's state), 2 and more for function calls.
  const depthOf = (c: number): number => {
    let d = 0;
    let u = c;
    while (d < 64) {
      const p = scan.child(u, 'previous');
      if (p < 0) return d + 1;
      if (nodeName[p] === nativeName) return d + 1;
      d++;
      u = p;
    }
    return d;
  };
  interface Group {
    scope: number;
    variable: string;
    contexts: number;
    bytes: number;
    values: number[];
    closures: Map<string, number>;
    depth: number;
  }
  const groups = new Map<string, Group>();
  for (let c = 0; c < s.nodeCount; c++) {
    if (nodeName[c] !== ctxName || !scan.inSet[c]) continue;
    let scope = -1;
    for (let e = firstEdge[c]!, end = firstEdge[c + 1]!; e < end; e++) {
      if (edgeType[e] === ty.edgeInternal && s.edgeNameString(e) === 'scope_info') scope = edgeTo[e]!;
    }
    for (let e = firstEdge[c]!, end = firstEdge[c + 1]!; e < end; e++) {
      if (edgeType[e] !== ty.edgeContext) continue;
      const w = edgeTo[e]!;
      if (dominator[w] !== c || retainedSize[w]! < LARGE_CONTEXT_VALUE) continue;
      const variable = s.edgeNameString(e);
      const key = `${scope}\u0000${variable}`;
      let g = groups.get(key);
      if (!g) {
        g = { scope, variable, contexts: 0, bytes: 0, values: [], closures: new Map(), depth: depthOf(c) };
        groups.set(key, g);
      }
      g.contexts++;
      g.bytes += retainedSize[w]!;
      if (g.values.length < 3) g.values.push(w);
      for (let k = firstRetainer[c]!, kend = firstRetainer[c + 1]!; k < kend; k++) {
        const r = s.retainerNode(k);
        if (nodeType[r] !== ty.closure) continue;
        const name = s.nodeNameString(r) || '(anonymous)';
        if (!g.closures.has(name)) g.closures.set(name, r);
      }
    }
  }
  const out: Hint[] = [];
  for (const g of groups.values()) {
    if (g.bytes < minBytes || (g.contexts < 2 && g.depth < 2)) continue;
    const names = [...g.closures.keys()];
    const first = [...g.closures.values()][0];
    const where = first !== undefined ? scan.location(first) : '';
    const fns = names.length > 0 ? names.slice(0, 3).map((n) => `${n}()`).join(', ') + (names.length > 3 ? ', …' : '') : '(inner functions)';
    const valueKind = scan.kind(g.values[0]!);
    out.push({
      rule: 'closure-context',
      title: `${plural(g.contexts, 'closure context')} of ${fns}${where ? ` (${where})` : ''} keep \`${g.variable}\` alive: ${formatBytes(g.bytes)} (${valueKind}, ${formatBytes(Math.round(g.bytes / g.contexts))} each)`,
      advice: `All closures created by one call share one context, so \`${g.variable}\` lives as long as any of ${fns} does, even one that never reads it. Set \`${g.variable}\` to null once it is no longer needed, copy what the long-lived closure needs into a local of its own, or create that closure in a function that does not hold \`${g.variable}\`.`,
      bytes: g.bytes,
      count: g.contexts,
      details: [],
      objects: [...(first !== undefined ? [scan.object(first)] : []), scan.object(g.values[0]!)],
    });
  }
  return out;
}

/** Entries of a collection: element edges of an array, entries of a Map or Set table. */
function entriesOf(scan: Scan, v: number, cls: string): number {
  const s = scan.snap;
  const { firstEdge, edgeType } = s;
  const ty = s.types;
  if (cls === 'Array') {
    let n = 0;
    for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) if (edgeType[e] === ty.edgeElement) n++;
    return n;
  }
  const table = scan.child(v, 'table');
  if (table < 0) return 0;
  // OrderedHashMap: [count, deleted, buckets B, heads × B, entries × 2B of 3 slots]; Set: 2 slots.
  const slots = cls === 'Map' ? 3 : 2;
  const size = s.nodeSelfSize[table]!;
  let start = -1;
  for (const [header, word] of [
    [16, 8],
    [8, 4],
  ] as const) {
    const length = (size - header) / word;
    if (Number.isInteger(length) && (length - 3) % (1 + 2 * slots) === 0) {
      start = 3 + (length - 3) / (1 + 2 * slots);
      break;
    }
  }
  const seen = new Set<number>();
  let numeric = 0;
  for (let e = firstEdge[table]!, end = firstEdge[table + 1]!; e < end; e++) {
    if (edgeType[e] !== ty.edgeInternal) continue;
    const slot = Number(s.edgeNameString(e));
    if (!Number.isInteger(slot)) continue;
    numeric++;
    if (start >= 0 && slot >= start) seen.add(Math.floor((slot - start) / slots));
  }
  return start >= 0 ? seen.size : Math.ceil(numeric / (slots - 1));
}

/** large-collection. */
function collections(scan: Scan, minBytes: number, minCount: number, base: HeapSnapshot | undefined): Hint[] {
  const s = scan.snap;
  const objectType = s.types.object;
  const found: { v: number; cls: string; entries: number; before: number }[] = [];
  const baseScan = base ? new Scan(base, []) : null;
  for (let v = 0; v < s.nodeCount; v++) {
    if (!scan.inSet[v] || s.nodeType[v] !== objectType || s.retainedSize[v]! < minBytes) continue;
    const cls = s.className(v);
    if (cls !== 'Array' && cls !== 'Map' && cls !== 'Set') continue;
    const entries = entriesOf(scan, v, cls);
    if (entries < minCount) continue;
    let before = -1;
    if (base && baseScan) {
      const b = base.ordinalOfId(s.nodeId[v]!);
      before = b >= 0 ? entriesOf(baseScan, b, cls) : 0;
    }
    found.push({ v, cls, entries, before });
  }
  const grew = (f: (typeof found)[number]) => (f.before >= 0 && f.entries > f.before ? 1 : 0);
  found.sort((a, b) => grew(b) - grew(a) || s.retainedSize[b.v]! - s.retainedSize[a.v]!);
  return found.slice(0, 5).map((f) => {
    const growth = f.before < 0 ? '' : f.before === 0 ? ' (new since the base snapshot)' : f.entries > f.before ? ` (grew from ${formatCount(f.before)} in the base snapshot)` : ` (${formatCount(f.before)} in the base snapshot)`;
    return {
      rule: 'large-collection',
      title: `${f.cls} @${s.nodeId[f.v]} holds ${plural(f.entries, f.cls === 'Array' ? 'element' : 'entry').replace('entrys', 'entries')}${growth}, retaining ${formatBytes(s.retainedSize[f.v]!)}`,
      advice:
        'A collection this large held by long-lived state is the usual shape of a leak or of an unbounded cache: give it a maximum size (evict the oldest), expire entries by age, delete entries when their work is done, or, for a queue, check that its consumer is running.',
      bytes: s.retainedSize[f.v]!,
      count: f.entries,
      details: [],
      objects: [scan.object(f.v)],
    };
  });
}

/** pending-promises and async-frames. */
function asyncWork(scan: Scan, minCount: number): Hint[] {
  const s = scan.snap;
  const ty = s.types;
  const reactionName = s.stringTable.indexOf('system / PromiseReaction');
  const out: Hint[] = [];
  const promises: number[] = [];
  const waiting: number[] = [];
  const frames = new Map<string, number[]>();
  for (let v = 0; v < s.nodeCount; v++) {
    if (!scan.inSet[v] || s.nodeType[v] !== ty.object) continue;
    let fn = -1;
    let registers = false;
    let reaction = false;
    for (let e = s.firstEdge[v]!, end = s.firstEdge[v + 1]!; e < end; e++) {
      if (s.edgeType[e] !== ty.edgeInternal) continue;
      const name = s.edgeNameString(e);
      if (name === 'function') fn = s.edgeTo[e]!;
      else if (name === 'parameters_and_registers') registers = true;
      else if (name === 'reactions_or_result' && s.nodeName[s.edgeTo[e]!] === reactionName) reaction = true;
    }
    if (s.className(v) === 'Promise') {
      promises.push(v);
      if (reaction) waiting.push(v);
    }
    if (registers && fn >= 0) {
      // A suspended async function or generator: its frame (registers, locals) waits here.
      const name = s.nodeNameString(fn) || '(anonymous)';
      const list = frames.get(name);
      if (list) list.push(v);
      else frames.set(name, [fn, v]);
    }
  }
  if (promises.length >= minCount) {
    const bytes = scan.retainedOf(waiting);
    out.push({
      rule: 'pending-promises',
      title: `${plural(promises.length, 'Promise')}, ${formatCount(waiting.length)} of them pending with callbacks waiting, retaining ${formatBytes(bytes)}`,
      advice:
        'A promise that never settles keeps its callbacks, the async functions awaiting it and all they reference. Find what should resolve these (follow the path to who holds them), and bound every wait on I/O with a timeout (AbortSignal.timeout(), or Promise.race with a timer that is cleared).',
      bytes,
      count: promises.length,
      details: [],
      objects: (waiting.length > 0 ? waiting : promises).slice(0, 2).map((v) => scan.object(v)),
    });
  }
  for (const [name, list] of frames) {
    // The list holds the closure first, then the frames.
    const fn = list[0]!;
    const objs = list.slice(1);
    if (objs.length < minCount) continue;
    const where = scan.location(fn);
    const bytes = scan.retainedOf(objs);
    out.push({
      rule: 'async-frames',
      title: `${plural(objs.length, 'suspended call')} of ${name}()${where ? ` (${where})` : ''}, retaining ${formatBytes(bytes)}`,
      advice: `Each suspended async function (or generator) keeps its whole frame, arguments and locals alive until the promise it awaits settles. So many waiting calls of ${name}() point to an await that does not return: add a timeout to it, limit how many calls run at once, or make sure whatever it waits for is resolved.`,
      bytes,
      count: objs.length,
      details: [],
      objects: objs.slice(0, 2).map((v) => scan.object(v)),
    });
  }
  return out;
}

/** timers and listeners. */
function timersAndListeners(scan: Scan, minCount: number, minListeners: number): Hint[] {
  const s = scan.snap;
  const ty = s.types;
  const out: Hint[] = [];
  const timers = new Map<string, number[]>();
  const eventsName = s.stringTable.indexOf('_events');
  const emitters: { emitter: number; event: string; array: number; count: number; fn: string }[] = [];
  for (let v = 0; v < s.nodeCount; v++) {
    if (!scan.inSet[v] || s.nodeType[v] !== ty.object) continue;
    const cls = s.className(v);
    if (cls === 'Timeout' || cls === 'Immediate') {
      const cb = scan.child(v, cls === 'Timeout' ? '_onTimeout' : '_onImmediate');
      const name = `${cls} ${cb >= 0 && s.nodeType[cb] === ty.closure ? `${s.nodeNameString(cb) || '(anonymous)'}()` : ''}`.trim();
      const list = timers.get(name);
      if (list) list.push(v);
      else timers.set(name, [v]);
    }
    if (eventsName < 0) continue;
    for (let e = s.firstEdge[v]!, end = s.firstEdge[v + 1]!; e < end; e++) {
      if (s.edgeName[e] !== eventsName || s.edgeType[e] !== ty.edgeProperty) continue;
      const events = s.edgeTo[e]!;
      for (let f = s.firstEdge[events]!, fe = s.firstEdge[events + 1]!; f < fe; f++) {
        if (s.edgeType[f] !== ty.edgeProperty) continue;
        const arr = s.edgeTo[f]!;
        if (s.nodeType[arr] !== ty.object || s.className(arr) !== 'Array') continue;
        let n = 0;
        let fn = '';
        for (let g = s.firstEdge[arr]!, ge = s.firstEdge[arr + 1]!; g < ge; g++) {
          if (s.edgeType[g] !== ty.edgeElement) continue;
          n++;
          if (!fn && s.nodeType[s.edgeTo[g]!] === ty.closure) fn = s.nodeNameString(s.edgeTo[g]!) || '(anonymous)';
        }
        if (n >= minListeners) emitters.push({ emitter: v, event: s.edgeNameString(f), array: arr, count: n, fn });
      }
    }
  }
  const allTimers = [...timers.values()].flat();
  if (allTimers.length >= minCount) {
    const bytes = scan.retainedOf(allTimers);
    const rows = [...timers].sort((a, b) => b[1].length - a[1].length);
    out.push({
      rule: 'timers',
      title: `${plural(allTimers.length, 'pending timer')}, retaining ${formatBytes(bytes)}`,
      advice:
        'Every pending setTimeout/setInterval keeps its callback and all the callback captures alive until it fires (an interval: until cleared). Clear timers whose work is no longer needed (clearTimeout/clearInterval, also on error paths); unref() lets the process exit but frees nothing.',
      bytes,
      count: allTimers.length,
      details: rows.slice(0, 5).map(([name, list]) => `${name} x${formatCount(list.length)}`),
      objects: rows.slice(0, 2).map(([, list]) => scan.object(list[0]!)),
    });
  }
  emitters.sort((a, b) => b.count - a.count);
  for (const x of emitters.slice(0, 5)) {
    const bytes = s.retainedSize[x.array]!;
    const cls = scan.kind(x.emitter);
    out.push({
      rule: 'listeners',
      title: `${cls} @${s.nodeId[x.emitter]} has ${plural(x.count, `'${x.event}' listener`)}${x.fn ? ` (${x.fn}()...)` : ''}, retaining ${formatBytes(bytes)}`,
      advice: `Listeners added with on()/addListener() stay until removed, and keep all they capture. Remove each with off(event, fn) when its subscriber goes away (or use once() for one-shot handlers); Node warns past 10 listeners for a reason.`,
      bytes,
      count: x.count,
      details: [],
      objects: [scan.object(x.emitter)],
    });
  }
  return out;
}

/** detached (Chromium: DOM nodes removed from the document and still referenced). */
function detached(scan: Scan): Hint[] {
  const s = scan.snap;
  const det = s.nodeDetachedness;
  if (!det) return [];
  const byClass = new Map<string, number[]>();
  const all: number[] = [];
  for (let v = 0; v < s.nodeCount; v++) {
    if (det[v] !== 2 || !scan.inSet[v] || s.nodeType[v] !== s.types.native) continue;
    // Node.js marks its own embedder objects ("Node / ModuleWrap") too; only DOM nodes count here.
    if (s.nodeNameString(v).startsWith('Node / ')) continue;
    const cls = s.className(v);
    const list = byClass.get(cls);
    if (list) list.push(v);
    else byClass.set(cls, [v]);
    all.push(v);
  }
  if (all.length === 0) return [];
  const bytes = scan.retainedOf(all);
  const rows = [...byClass].sort((a, b) => b[1].length - a[1].length);
  const biggest = all.reduce((a, b) => (s.retainedSize[b]! > s.retainedSize[a]! ? b : a));
  return [
    {
      rule: 'detached',
      title: `${plural(all.length, 'detached DOM node')} still referenced, retaining ${formatBytes(bytes)}`,
      advice:
        'These nodes were removed from the document but JavaScript still references them (a cache, an array of elements, a closure or listener). Follow the path to that reference and drop it when the node is removed.',
      bytes,
      count: all.length,
      details: rows.slice(0, 5).map(([cls, list]) => `${cls} x${formatCount(list.length)}`),
      objects: [scan.object(biggest)],
    },
  ];
}

/**
 * Runs every rule over the snapshot, or over `members` only (the ordinals of a set), and returns
 * the hints with the most bytes at stake first.
 */
export function findHints(snap: HeapSnapshot, members: ArrayLike<number> | null = null, options: HintOptions = {}): Hint[] {
  const minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
  const minCount = options.minCount ?? DEFAULT_MIN_COUNT;
  const minListeners = options.minListeners ?? DEFAULT_MIN_LISTENERS;
  const scan = new Scan(snap, members);
  const hints = [
    ...propertyStores(scan, minBytes),
    ...duplicateStrings(scan, minBytes),
    ...closureContexts(scan, minBytes),
    ...collections(scan, minBytes, minCount, options.base),
    ...asyncWork(scan, minCount),
    ...timersAndListeners(scan, minCount, minListeners),
    ...detached(scan),
  ];
  return hints.sort((a, b) => b.bytes - a.bytes);
}

/** Hints as text: numbered, each with its fix and the objects to look at. */
export function renderHints(hints: readonly Hint[]): string {
  if (hints.length === 0) return 'No hints: no rule found enough bytes or objects at stake.';
  const lines: string[] = [];
  hints.forEach((h, i) => {
    if (i > 0) lines.push('');
    lines.push(`${i + 1}. ${h.title}  [${h.rule}, ${formatBytes(h.bytes)} at stake]`);
    for (const d of h.details) lines.push(`     ${d}`);
    lines.push(`   fix: ${h.advice}`);
    for (const o of h.objects) lines.push(`   look at: ${o.kind} @${o.id} at ${o.path}`);
  });
  return lines.join('\n');
}

/** The result of `set.hints()`: the hints, printed as `heapy hints` prints them. */
export class HintList {
  /** The hints, most bytes at stake first. */
  readonly hints: readonly Hint[];
  constructor(hints: readonly Hint[]) {
    this.hints = hints;
  }
  /** The hints numbered, each with its fix and the objects to look at (as `heapy hints` prints). */
  toString(): string {
    return renderHints(this.hints);
  }
  /** The hints alone, as plain data. */
  toJSON(): readonly Hint[] {
    return this.hints;
  }
  /** Makes console.log and the REPL print the hints as text rather than the fields. */
  [inspect.custom](): string {
    return this.toString();
  }
}
