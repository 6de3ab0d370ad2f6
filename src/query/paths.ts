/**
 * Shortest paths from the roots, rendered in JavaScript syntax a developer can read and paste:
 * `Root.global.service._hub._unreads.get("DataSource")[0]._queue.messages[1]`.
 */
import { NO_DISTANCE, NO_NODE, SYSTEM_DISTANCE_BASE, type HeapSnapshot } from '../snapshot/index.js';
import { entryStart } from './hashtable.js';

// Slots of one Map entry in its table: key, value, chain link (hashtable.ts).
const MAP_ENTRY = 3;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// Map keys print up to 80 characters: a file path or URL key (`/src/app/routes/users.js`) stays
// whole, while a key that is a whole document stays one line.
const KEY_LENGTH = 80;

/**
 * The text of string node `ord`, cut after `maxLength` characters. A concatenated string's node is
 * named `(concatenated string)`; its text is that of its `first` then its `second` part, read
 * depth first with a stack, as DevTools' heap snapshot worker does (ConsString in V8). A sliced
 * string keeps its placeholder name: the snapshot does not record where the slice starts.
 */
export function stringText(snap: HeapSnapshot, ord: number, maxLength: number): string {
  const cons = snap.types.concatString;
  const internal = snap.types.edgeInternal;
  if (snap.nodeType[ord] !== cons) return snap.nodeNameString(ord);
  let text = '';
  const stack = [ord];
  while (stack.length > 0 && text.length <= maxLength) {
    const v = stack.pop()!;
    if (snap.nodeType[v] !== cons) {
      text += snap.nodeNameString(v);
      continue;
    }
    let first = -1;
    let second = -1;
    for (let e = snap.firstEdge[v]!, end = snap.firstEdge[v + 1]!; e < end; e++) {
      if (snap.edgeType[e] !== internal) continue;
      const name = snap.edgeNameString(e);
      if (name === 'first') first = snap.edgeTo[e]!;
      else if (name === 'second') second = snap.edgeTo[e]!;
    }
    // A part that is missing (never seen in Node 20's snapshots) leaves the placeholder.
    if (first < 0 || second < 0) return snap.nodeNameString(ord);
    stack.push(second, first);
  }
  return text;
}

/** A short, one-line description of a node: a string's value, a number, or `<Kind @id>`. */
export function nodeBrief(snap: HeapSnapshot, ord: number, maxLength = 40): string {
  const t = snap.nodeType[ord];
  const ty = snap.types;
  const name = t === ty.concatString ? stringText(snap, ord, maxLength) : snap.nodeNameString(ord);
  if (t === ty.string || t === ty.concatString || t === ty.slicedString) {
    const v = name.length > maxLength ? name.slice(0, maxLength) + '…' : name;
    return JSON.stringify(v);
  }
  if (t === ty.number) return name === 'heap number' ? `<number @${snap.nodeId[ord]}>` : name;
  if (t === ty.closure) return `<closure ${name || '(anonymous)'} @${snap.nodeId[ord]}>`;
  return `<${snap.className(ord)} @${snap.nodeId[ord]}>`;
}

function propertyStep(name: string): string {
  if (IDENTIFIER.test(name)) return '.' + name;
  const sym = /^<symbol (.*)>$/.exec(name);
  if (sym) return `[${sym[1]}]`;
  return `[${JSON.stringify(name)}]`;
}

/** Finds the edge of `table` named `name` (the key slot next to a Map value slot). */
function tableSlot(snap: HeapSnapshot, table: number, name: string): number {
  for (let e = snap.firstEdge[table]!, end = snap.firstEdge[table + 1]!; e < end; e++) {
    if (snap.edgeNameString(e) === name) return snap.edgeTo[e]!;
  }
  return -1;
}

/** The step to a Map's value whose key is node `key`: `.get("k")`, `.get(<Object @7>)`. */
export function mapKeyStep(snap: HeapSnapshot, key: number): string {
  return `.get(${nodeBrief(snap, key, KEY_LENGTH)})`;
}

/** The target of `from`'s internal edge named `name`, or -1. */
function internalEdgeTo(snap: HeapSnapshot, from: number, name: string): number {
  const internal = snap.types.edgeInternal;
  for (let e = snap.firstEdge[from]!, end = snap.firstEdge[from + 1]!; e < end; e++) {
    if (snap.edgeType[e] === internal && snap.edgeNameString(e) === name) return snap.edgeTo[e]!;
  }
  return -1;
}

/**
 * True for the context of an ES module's top level: V8 links it to the module by an internal
 * `extension` edge to a `system / SourceTextModule` node (V8 11-12; a function's context has none).
 */
export function isModuleContext(snap: HeapSnapshot, ctx: number): boolean {
  const m = internalEdgeTo(snap, ctx, 'extension');
  return m >= 0 && snap.nodeNameString(m) === 'system / SourceTextModule';
}

/**
 * The URL of the script a closure was compiled from (closure `shared` -> SharedFunctionInfo
 * `script_or_debug_info` -> the Script, named by its URL, as in scripts.ts), or '' when the
 * snapshot does not say (a function being debugged links to its DebugInfo instead). A module's
 * top-level Generator (what V8 runs a module's body as) names its closure by an internal
 * `function` edge.
 */
function scriptOfClosure(snap: HeapSnapshot, closure: number): string {
  const fn = snap.nodeType[closure] === snap.types.closure ? closure : internalEdgeTo(snap, closure, 'function');
  const shared = fn < 0 ? -1 : internalEdgeTo(snap, fn, 'shared');
  const script = shared < 0 ? -1 : internalEdgeTo(snap, shared, 'script_or_debug_info');
  return script < 0 || snap.nodeType[script] !== snap.types.code ? '' : snap.nodeNameString(script);
}

/**
 * The name of V8's edge from a WeakMap entry's key (and from the WeakMap's table) to its value,
 * `3 / part of key (Linter @6171) -> value (Config @6167) pair in WeakMap (table @84519)`
 * (heap-snapshot-generator.cc, ExtractEphemeronHashTableReferences): the key's id and the table's.
 */
const EPHEMERON = /^(?:\d+ \/ )?part of key \(.* @(\d+)\) -> value \(.* @\d+\) pair in WeakMap \(table @(\d+)\)$/;

/** The key and table ordinals an ephemeron edge name stands for (see EPHEMERON), or null for any other name. */
export function ephemeronEdge(snap: HeapSnapshot, name: string): { key: number; table: number } | null {
  if (!name.includes(' pair in WeakMap (')) return null;
  const m = EPHEMERON.exec(name);
  return m ? { key: snap.ordinalOfId(Number(m[1])), table: snap.ordinalOfId(Number(m[2])) } : null;
}

/**
 * A WeakMap entry's key -> value edge as the step it is: out of the WeakMap's table, the value of
 * key K, `.get(<Linter @6171>)` (the table step itself prints as nothing); out of the key, its
 * value in that WeakMap, `.<value in WeakMap @3086>`.
 */
function ephemeronStep(snap: HeapSnapshot, from: number, pair: { key: number; table: number }): string {
  if (from === pair.table || pair.key < 0) return pair.key >= 0 ? mapKeyStep(snap, pair.key) : '.get(<key>)';
  const map = pair.table >= 0 ? snap.owner[pair.table]! : NO_NODE;
  return map === NO_NODE ? '.<value in a WeakMap>' : `.<value in WeakMap @${snap.nodeId[map]}>`;
}

/** True for a Map's, Set's, WeakMap's or WeakSet's class name: the collections whose `table` edge leads to their entries. */
function isCollection(cls: string): boolean {
  return cls === 'Map' || cls === 'Set' || cls === 'WeakMap' || cls === 'WeakSet';
}

/**
 * The step of a collection's `table` edge where it must show (the end of a path, a `--by via`
 * label): `.[[table of Map]]`. Inside a path it prints as nothing (see edgeStep).
 */
function tableStep(snap: HeapSnapshot, collection: number): string {
  return `.[[table of ${snap.className(collection)}]]`;
}

/** {@link edgeStep}, except that a collection's `table` edge prints as {@link tableStep}: a step of its own, as a `--by via` label needs. */
export function referenceStep(snap: HeapSnapshot, from: number, e: number): string {
  const step = edgeStep(snap, from, e);
  return step === '' ? tableStep(snap, from) : step;
}

/** `<module app.mjs>`: the step into an ES module's top level, by the basename of its script's URL. */
function moduleStep(url: string): string {
  return `<module ${url.slice(url.lastIndexOf('/') + 1)}>`;
}

/**
 * One step of a path, the edge `e` out of node `from`, in JavaScript syntax. Map and Set entries
 * are written `.get(key)` and `.values()[…]`; the Map's hidden `table` step is left out (see
 * referenceStep where it must show); a WeakMap entry's key -> value edge is `.get(<key>)` out of
 * the table and `.<value in WeakMap @id>` out of the key; internal
 * V8 links are marked `.[[name]]`, closure contexts `<closure f>` and `<context>.name`; the top
 * level of an ES module, reached through any of its closures, as `<module app.mjs>.name` (the
 * basename of the script's URL), which is how its code names the variable.
 */
export function edgeStep(snap: HeapSnapshot, from: number, e: number): string {
  const t = snap.edgeType[e];
  const ty = snap.types;
  const to = snap.edgeTo[e]!;
  const name = snap.edgeNameString(e);
  if (from === snap.rootOrdinal) {
    if (t === ty.edgeShortcut) return '.' + (snap.nodeNameString(to).split(' ')[0] || 'global');
    return `.<${snap.nodeNameString(to)}>`;
  }
  if (snap.nodeType[from] === ty.synthetic) {
    return snap.nodeType[to] === ty.synthetic ? `.<${snap.nodeNameString(to)}>` : `[${name}]`;
  }
  switch (t) {
    case ty.edgeProperty:
    case ty.edgeShortcut:
      return propertyStep(name);
    case ty.edgeElement:
      return `[${name}]`;
    case ty.edgeContext:
      return isModuleContext(snap, from) ? propertyStep(name) : `<context>.${name}`;
    case ty.edgeInternal: {
      if (name === 'context' && snap.nodeType[from] === ty.closure) {
        const module = isModuleContext(snap, to) ? scriptOfClosure(snap, from) : '';
        if (module !== '') return moduleStep(module);
        return `<closure ${snap.nodeNameString(from) || '(anonymous)'}>`;
      }
      if (name === 'context' && isModuleContext(snap, to)) {
        // The Generator V8 runs a module's body as, reached from the module record.
        const module = scriptOfClosure(snap, from);
        if (module !== '') return moduleStep(module);
      }
      const fromClass = snap.className(from);
      if (name === 'table' && isCollection(fromClass)) return '';
      const pair = ephemeronEdge(snap, name);
      if (pair) return ephemeronStep(snap, from, pair);
      const owner = snap.owner[from]!;
      if (owner !== NO_NODE && /^\d+$/.test(name)) {
        const ownerClass = snap.className(owner);
        const slot = Number(name);
        const start = ownerClass === 'Map' ? entryStart(snap, from, 'Map') : -1;
        if (start >= 0 && slot >= start) {
          // The table's layout tells a key from a value in O(1) (a scan for the key slot cost
          // O(n) a step, O(n²) over a table with small-integer keys, which have no edge); the key's
          // edge, when the key is an object, is the one just before the value's.
          if ((slot - start) % MAP_ENTRY === 0) return `.keys()[${nodeBrief(snap, to)}]`;
          const before = e - 1 >= snap.firstEdge[from]! && snap.edgeNameString(e - 1) === String(slot - 1) ? snap.edgeTo[e - 1]! : -1;
          return before >= 0 ? mapKeyStep(snap, before) : '.get(<small integer>)';
        }
        if (ownerClass === 'Map' || ownerClass === 'WeakMap') {
          // The key slot usually is the edge just before the value's.
          const prev = e - 1 >= snap.firstEdge[from]! && snap.edgeNameString(e - 1) === String(Number(name) - 1) ? snap.edgeTo[e - 1]! : -2;
          const key = prev !== -2 ? prev : tableSlot(snap, from, String(Number(name) - 1));
          if (key >= 0 && key !== to) return mapKeyStep(snap, key);
          // Small-integer keys are not heap objects, so no edge names them.
          if (key < 0 && tableSlot(snap, from, String(Number(name) + 1)) < 0) return '.get(<small integer>)';
          return `.keys()[${nodeBrief(snap, to)}]`;
        }
        if (ownerClass === 'Set' || ownerClass === 'WeakSet') return `.values()[${nodeBrief(snap, to)}]`;
      }
      return `.[[${name}]]`;
    }
    case ty.edgeHidden:
      return `.[[${name}]]`;
    case ty.edgeWeak:
      return `.<weak ${name}>`;
    default:
      return `.[[${name}]]`;
  }
}

/**
 * The edges of one shortest path from the root to `ord` over non-weak edges, or null when no
 * strong path reaches it. Ties go to the first retainer in snapshot order, so paths are stable.
 */
export function shortestPathEdges(snap: HeapSnapshot, ord: number): number[] | null {
  const { distance, firstRetainer, firstEdge, edgeTo, edgeType } = snap;
  const weak = snap.types.edgeWeak;
  const root = snap.rootOrdinal;
  if (distance[ord] === NO_DISTANCE) return null;
  const edges: number[] = [];
  let v = ord;
  while (v !== root) {
    const d = distance[v]!;
    // User roots sit at distance 1 below the root; system nodes count up from SYSTEM_DISTANCE_BASE.
    const want = d === 1 || d === SYSTEM_DISTANCE_BASE + 1 ? distance[root]! : d - 1;
    let found = -1;
    let parent = -1;
    for (let k = firstRetainer[v]!, end = firstRetainer[v + 1]!; k < end && found < 0; k++) {
      if (!snap.retainerIsStrong(k)) continue;
      const u = snap.retainerNode(k);
      if (distance[u] !== want) continue;
      for (let e = firstEdge[u]!, ee = firstEdge[u + 1]!; e < ee; e++) {
        if (edgeTo[e] === v && edgeType[e] !== weak) {
          found = e;
          parent = u;
          break;
        }
      }
    }
    if (found < 0) return null;
    edges.push(found);
    v = parent;
    if (edges.length > 100_000) return null;
  }
  return edges.reverse();
}

/** Renders a path (as returned by {@link shortestPathEdges}) starting with `Root`, repeated steps collapsed by {@link joinSteps}. */
export function renderPath(snap: HeapSnapshot, edges: readonly number[]): string {
  return 'Root' + joinSteps(pathSteps(snap, edges));
}

/**
 * The steps of a path. A collection's `table` step prints as nothing inside a path (dropping it
 * keeps runs of `.get(…)` adjacent), but a path that ends at the table ends with its step.
 */
function pathSteps(snap: HeapSnapshot, edges: readonly number[]): string[] {
  let from = snap.rootOrdinal;
  const steps: string[] = [];
  edges.forEach((e, i) => {
    const step = i === edges.length - 1 ? referenceStep(snap, from, e) : edgeStep(snap, from, e);
    if (step !== '') steps.push(step);
    from = snap.edgeTo[e]!;
  });
  return steps;
}

/**
 * A path by the name its code gives it: from the last ES module top level on the path when there
 * is one (`<module app.mjs>.store.history`, however the module is reached from the roots), else
 * as {@link renderPath}. For values a module's variable holds, whose path from the roots runs
 * through Node's module loader.
 */
export function namedPath(snap: HeapSnapshot, edges: readonly number[]): string {
  const steps = pathSteps(snap, edges);
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i]!.startsWith('<module ')) return joinSteps(steps.slice(i));
  }
  return 'Root' + joinSteps(steps);
}

/** How {@link joinSteps} writes a collapsed run: its unit (one step or a pair) and its length. */
export interface RunFormat {
  /** A run collapses when it repeats its unit at least this many times. */
  readonly minRepeats: number;
  /** Whether runs of a pair of steps collapse too, not only runs of one step. */
  readonly pairs: boolean;
  /** The text of a collapsed run; `pair` tells a two-step unit from a single step. */
  format(unit: string, count: number, pair: boolean): string;
}

/**
 * Runs of one step repeated 4 or more times print as `.next{×4999}`, of a pair as
 * `(.next.value){×20}`. A leaked chain of 4,600 timers printed `._idleNext` 4,600 times, a 40 KB
 * line (issue 17); up to 3 repeats stay spelled out, as they read faster than a count.
 */
export const COUNTED_RUNS: RunFormat = {
  minRepeats: 4,
  pairs: true,
  format: (unit, count, pair) => `${pair ? `(${unit})` : unit}{×${count}}`,
};

/**
 * Joins path steps into one string, collapsing each run of the same step, or of the same pair of
 * steps, repeated at least `runs.minRepeats` times. The one place paths collapse: `.sp`, leak
 * reports, hints, backref chains and path shapes all print through it.
 */
export function joinSteps(steps: readonly string[], runs: RunFormat = COUNTED_RUNS): string {
  let out = '';
  const n = steps.length;
  for (let i = 0; i < n; ) {
    const a = steps[i]!;
    let single = 1;
    while (i + single < n && steps[i + single] === a) single++;
    let pairs = 0;
    const b = steps[i + 1];
    if (runs.pairs && b !== undefined && b !== a) {
      pairs = 1;
      while (i + 2 * pairs + 1 < n && steps[i + 2 * pairs] === a && steps[i + 2 * pairs + 1] === b) pairs++;
    }
    // Whichever run covers more steps wins; on a tie the single step, whose text is shorter.
    if (pairs >= runs.minRepeats && 2 * pairs > single) {
      out += runs.format(a + b, pairs, true);
      i += 2 * pairs;
    } else if (single >= runs.minRepeats) {
      out += runs.format(a, single, false);
      i += single;
    } else {
      out += a;
      i++;
    }
  }
  return out;
}

/** The source node of edge e (a binary search over the first-edge prefix sums). */
export function edgeSource(snap: HeapSnapshot, e: number): number {
  const fe = snap.firstEdge;
  let lo = 0;
  let hi = snap.nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (fe[mid]! <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
