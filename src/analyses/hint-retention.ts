/**
 * Hints about what keeps memory alive: closure contexts holding a large value (closure-context),
 * large or growing collections (large-collection) and detached DOM nodes (detached).
 */
import type { HeapSnapshot } from '../snapshot/index.js';
import { compareIdEpochs } from '../query/epoch.js';
import { countEntries, type HashTableKind } from '../query/hashtable.js';
import { formatBytes, formatCount } from '../util/format.js';
import { plural, HintScan, type Hint } from './hint-model.js';

// A context variable counts as "large" from this retained size on (a small closure's whole
// context is ~100 bytes; 1 KiB is ten times that).
const LARGE_CONTEXT_VALUE = 1024;

/** closure-context: function contexts that keep a large value alive for every closure of one call. */
export function closureContexts(scan: HintScan, minBytes: number): Hint[] {
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
function entriesOf(scan: HintScan, v: number, cls: 'Array' | HashTableKind): number {
  const s = scan.snap;
  if (cls === 'Array') {
    const { firstEdge, edgeType } = s;
    const element = s.types.edgeElement;
    let n = 0;
    for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) if (edgeType[e] === element) n++;
    return n;
  }
  const table = scan.child(v, 'table');
  return table < 0 ? 0 : countEntries(s, table, cls);
}

/**
 * large-collection: arrays, Maps and Sets with many entries, those that grew since `base` first.
 * A base whose ids do not identify the same objects (another id epoch or process, see
 * query/epoch.ts) is not used: "new since the base" would be wrong for every object.
 */
export function collections(scan: HintScan, minBytes: number, minCount: number, baseSnapshot: HeapSnapshot | undefined): Hint[] {
  const s = scan.snap;
  const base = baseSnapshot && compareIdEpochs(baseSnapshot, s).comparable !== false ? baseSnapshot : undefined;
  const objectType = s.types.object;
  const found: { v: number; cls: string; entries: number; before: number }[] = [];
  const baseScan = base ? new HintScan(base, []) : null;
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

/** detached: DOM nodes removed from the document and still referenced (Chromium snapshots). */
export function detached(scan: HintScan): Hint[] {
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
