/**
 * objgraph's counting tools for V8 heaps: show_growth (kinds whose counts rose past their peak since
 * the last call), most_common_types, and find_backref_chain (one chain of references from the
 * root to an object).
 */
import { inspect } from 'node:util';
import { Printable } from '../util/printable.js';
import { ExitCode, HeapyError } from '../errors.js';
import { NO_DISTANCE, NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { edgeStep, nodeBrief, renderPath } from '../query/paths.js';
import { treePath } from './spt.js';

/** Objects per kind among `ordinals`. */
export function kindCounts(snap: HeapSnapshot, ordinals: Uint32Array): Map<string, number> {
  const { kindOf, names } = kindTable(snap);
  const n = new Float64Array(names.length);
  for (const o of ordinals) n[kindOf[o]!]!++;
  const out = new Map<string, number>();
  for (let k = 0; k < names.length; k++) if (n[k]! > 0) out.set(names[k]!, (out.get(names[k]!) ?? 0) + n[k]!);
  return out;
}

/** One row of show_growth: the kind, its count now and its rise over the previous peak. */
export interface GrowthRow {
  /** The kind (class / dict of class) whose count grew. */
  readonly kind: string;
  /** Objects of this kind now. */
  readonly count: number;
  /** How far the count now exceeds the kind's previous peak (the count itself on the first call). */
  readonly delta: number;
}

/** Rows in objgraph's layout: `'%-*s%9d %+9d'` (name padded to the longest name). */
export function renderGrowth(rows: readonly GrowthRow[]): string {
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((r) => r.kind.length));
  return rows.map((r) => `${r.kind.padEnd(width)}${String(r.count).padStart(9)} ${`+${r.delta}`.padStart(9)}`).join('\n');
}

/** The result of `h.growth()`: rows, printed as objgraph prints them. */
export class GrowthReport extends Printable<readonly GrowthRow[]> {
  /** Kinds that rose above their peak, largest rise first. */
  readonly rows: readonly GrowthRow[];
  constructor(rows: readonly GrowthRow[]) {
    super();
    this.rows = rows;
  }
  /** objgraph's lines (kind, count, +rise); empty when no kind grew. */
  override toString(): string {
    return renderGrowth(this.rows);
  }
  /** The rows alone, as plain data. */
  override toJSON(): readonly GrowthRow[] {
    return this.rows;
  }
  /** Makes console.log and the REPL print objgraph's lines, or "(no kind grew)". */
  override [inspect.custom](): string {
    return this.toString() || '(no kind grew)';
  }
}

/**
 * Peak counts per kind, as objgraph's `peak_stats`: `update` reports the kinds whose count is
 * above the highest count seen before (all kinds on the first call), largest rise first, and
 * raises the peaks. Counting peaks rather than last values means a kind that shrinks and regrows
 * to its old level is not reported again.
 */
export class GrowthTracker {
  private readonly peaks = new Map<string, number>();

  /** Compares `counts` with the peaks, updates them, and returns the `limit` largest rises. */
  update(counts: ReadonlyMap<string, number>, limit = 10): GrowthReport {
    const rows: GrowthRow[] = [];
    for (const [kind, count] of counts) {
      const old = this.peaks.get(kind) ?? 0;
      if (count > old) {
        rows.push({ kind, count, delta: count - old });
        this.peaks.set(kind, count);
      }
    }
    rows.sort((a, b) => b.delta - a.delta || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
    return new GrowthReport(limit > 0 ? rows.slice(0, limit) : rows);
  }
}

const trackers = new WeakMap<object, GrowthTracker>();

/** show_growth for a session object (an hpy() session): one tracker per session, kept weakly. */
export function trackGrowth(session: object, snap: HeapSnapshot, ordinals: Uint32Array, limit = 10): GrowthReport {
  let t = trackers.get(session);
  if (!t) {
    t = new GrowthTracker();
    trackers.set(session, t);
  }
  return t.update(kindCounts(snap, ordinals), limit);
}

/** One row of most_common_types. */
export interface KindCount {
  /** The kind (class / dict of class). */
  readonly kind: string;
  /** Objects of this kind in the set. */
  readonly count: number;
}

/** The result of `set.mostCommonKinds(n)`: rows in objgraph's layout `'%-*s %i'`. */
export class KindCountList extends Printable<readonly KindCount[]> {
  /** The most numerous kinds, most objects first. */
  readonly rows: readonly KindCount[];
  constructor(rows: readonly KindCount[]) {
    super();
    this.rows = rows;
  }
  /** objgraph's lines: the kind padded to the longest name, then its count. */
  override toString(): string {
    if (this.rows.length === 0) return '';
    const width = Math.max(...this.rows.map((r) => r.kind.length));
    return this.rows.map((r) => `${r.kind.padEnd(width)} ${r.count}`).join('\n');
  }
  /** The rows alone, as plain data. */
  override toJSON(): readonly KindCount[] {
    return this.rows;
  }
}

/** objgraph's most_common_types: the `n` most numerous kinds (ties by name). */
export function mostCommonKinds(snap: HeapSnapshot, ordinals: Uint32Array, n = 10): KindCountList {
  const rows = [...kindCounts(snap, ordinals)].map(([kind, count]) => ({ kind, count }));
  rows.sort((a, b) => b.count - a.count || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  return new KindCountList(n > 0 ? rows.slice(0, n) : rows);
}

/** One object on a back-reference chain, with the step that leads to it from the previous one. */
export interface ChainLink {
  /** The object's node ordinal in the snapshot. */
  readonly ordinal: number;
  /** The object's V8 heap id (the `@id` DevTools shows). */
  readonly id: number;
  /** The object's kind (class / dict of class); `(root)` for the root. */
  readonly kind: string;
  /** A one-line description: a string's value, a number, or `<Kind @id>`; `Root` for the root. */
  readonly brief: string;
  /** The step(s) from the previous link (`.service`, `[3]`, `.get("k")`); empty for the root. */
  readonly via: string;
}

/** A back-reference chain as plain data. */
export interface BackrefChainData {
  /** The objects from the root (first) to the target (last). */
  readonly links: readonly ChainLink[];
  /** The chain as one `.sp` path. */
  readonly path: string;
}

/** The result of `set.backrefChain()`: a chain of references from the root to one object. */
export class BackrefChain extends Printable<BackrefChainData> implements BackrefChainData {
  /** The objects from the root (first) to the target (last); backing stores folded into their owners. */
  readonly links: readonly ChainLink[];
  /** The chain as one `.sp` path. */
  readonly path: string;
  constructor(links: readonly ChainLink[], path: string) {
    super();
    this.links = links;
    this.path = path;
  }
  /** One line per object: the step, then the object. */
  override toString(): string {
    return this.links.map((l, i) => (i === 0 ? 'Root' : `${'  '.repeat(Math.min(i, 20))}${l.via} -> ${l.kind} ${l.brief}`)).join('\n');
  }
  /** The links and the path, as plain data. */
  override toJSON(): BackrefChainData {
    return { links: this.links, path: this.path };
  }
}

/**
 * objgraph's find_backref_chain: the shortest chain of strong references from the root to an
 * object of the set (the one nearest to the roots, or the object with V8 id `id`).
 */
export function backrefChain(snap: HeapSnapshot, ordinals: Uint32Array, id?: number): BackrefChain {
  let target = -1;
  if (id !== undefined) {
    const o = snap.ordinalOfId(id);
    if (o < 0 || !ordinals.includes(o)) throw new HeapyError(`backrefChain: no object @${id} in the set`, ExitCode.badInput);
    target = o;
  } else {
    for (const o of ordinals) if (snap.distance[o] !== NO_DISTANCE && (target < 0 || snap.distance[o]! < snap.distance[target]!)) target = o;
  }
  if (target < 0) throw new HeapyError('backrefChain: no object of the set is reachable from the roots by strong references', ExitCode.badInput);
  const edges = treePath(snap, target);
  if (!edges) throw new HeapyError(`backrefChain: no strong path reaches @${snap.nodeId[target]}`, ExitCode.badInput);
  const { kindOf, names } = kindTable(snap);
  const links: ChainLink[] = [{ ordinal: snap.rootOrdinal, id: snap.nodeId[snap.rootOrdinal]!, kind: '(root)', brief: 'Root', via: '' }];
  let from = snap.rootOrdinal;
  let via = '';
  for (const e of edges) {
    const to = snap.edgeTo[e]!;
    via += edgeStep(snap, from, e);
    from = to;
    // A backing store (a Map's table, an array's elements) is part of its owner: its step joins
    // the next object's, so the chain reads Map -.get("k")-> value.
    if (snap.owner[to] !== NO_NODE && to !== target) continue;
    links.push({ ordinal: to, id: snap.nodeId[to]!, kind: names[kindOf[to]!]!, brief: nodeBrief(snap, to), via });
    via = '';
  }
  return new BackrefChain(links, renderPath(snap, edges));
}
