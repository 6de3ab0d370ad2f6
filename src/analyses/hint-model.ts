/** The hint model: what a hint is, and the state of one scan that every rule reads. */
import { NO_DISTANCE, NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable, type KindTable } from '../query/kinds.js';
import { nodeBrief } from '../query/paths.js';
import { formatCount } from '../util/format.js';
import { treePathText } from './spt.js';

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

/** Shared state of one run of the rules: the nodes looked at, and lookups every rule uses. */
export class HintScan {
  /** The snapshot the rules read. */
  readonly snap: HeapSnapshot;
  /** 1 for each node the rules look at (the set's members, or every reachable node but the root). */
  readonly inSet: Uint8Array;
  /** The snapshot's kind table. */
  readonly kinds: KindTable;
  constructor(snap: HeapSnapshot, members: ArrayLike<number> | null) {
    this.snap = snap;
    this.kinds = kindTable(snap);
    const N = snap.nodeCount;
    this.inSet = new Uint8Array(N);
    if (members) for (let j = 0; j < members.length; j++) this.inSet[members[j]!] = 1;
    else for (let v = 0; v < N; v++) this.inSet[v] = snap.distance[v] !== NO_DISTANCE && v !== snap.rootOrdinal ? 1 : 0;
  }
  /** The kind of v, by the kind table. */
  kind(v: number): string {
    return this.kinds.names[this.kinds.kindOf[v]!]!;
  }
  /** v as a hint names it. */
  object(v: number): HintObject {
    const s = this.snap;
    return { id: s.nodeId[v]!, kind: this.kind(v), brief: nodeBrief(s, v), path: treePathText(s, v), retainedSize: s.retainedSize[v]! };
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

/** `n word`, the word in the plural unless n is 1 (`3 entrys` for irregular words: callers fix those). */
export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}
