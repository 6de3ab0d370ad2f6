/**
 * Growing values: a value kept at a stable place that is replaced by a larger one again and again
 * (a string built with `+=`, an array or Buffer replaced by a longer copy, a Map rebuilt on each
 * change). Its id changes every time, so the three snapshots share no "same objects" for
 * findLeaks' clusters to follow; what stays is the place: an object that already existed in base
 * (the holder) and the step from it (`.log`, `.history`, `.get("index")`).
 *
 * A value of final is a candidate when it is new since base, is not V8's own machinery, retains
 * at least twice the smallest growth, and a strong edge of an old holder (or of its backing store)
 * leads to it by a step that names it: a property, a module or closure variable, an element, a
 * Map value. The same holder (by id) and step are looked up in target and base; the value grows
 * when it was replaced between target and final, and its retained size rose in both rounds by at
 * least GROWTH_STEP bytes: base < target < final. A steady program replaces values too (a last
 * response, a date string), but sizes that come and go do not rise by 8 KiB twice in a row.
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { countEntries } from '../query/hashtable.js';
import { edgeStep } from '../query/paths.js';
import { hasOrdinal } from '../query/sets.js';
import { OLD } from './leak-ages.js';
import { pathTree } from './spt.js';

/** One value at a stable place whose retained size rose in base -> target -> final while it was replaced. */
export interface GrowingValue {
  /** The value in final. */
  readonly ordinal: number;
  /** The old object it hangs from, in final (a backing store's owner, not the store). */
  readonly holder: number;
  /** The step from the holder to the value, e.g. `.log`, `[3]`, `.get("index")`. */
  readonly step: string;
  /** V8 ids of the value at that place in base, target and final: they differ, the value was replaced. */
  readonly ids: readonly [number, number, number];
  /** Its retained size in base, target and final (rising). */
  readonly sizes: readonly [number, number, number];
  /** For an Array, Map or Set: its elements or entries that hold a heap object, in base, target and final; else null. */
  readonly entries: readonly [number, number, number] | null;
}

// The least growth of a value's retained size in each round (base -> target, target -> final).
// Measured with a least growth of 1 byte on the snapshots of the leak tests' programs (the steady
// and the leaking service of test/programs/leak-service.mjs, leak-queue, -listeners, -closure,
// -dict, -async): no replaced value rose in both rounds, so the only noise to stay above is a
// value that happens to be larger twice. 8 KiB is 200 log lines of 40 bytes a round.
const GROWTH_STEP = 8 * 1024;

/**
 * The growing values of three snapshots (see the module comment), largest growth first. `age` is
 * findLeaks' age of each final node; `isInternal` tells V8's machinery, which never counts;
 * values in `exclude` (sorted ordinals of final, e.g. what a profiler in the process owns) neither.
 */
export function findGrowingValues(
  base: HeapSnapshot,
  target: HeapSnapshot,
  final: HeapSnapshot,
  age: Uint8Array,
  isInternal: (snap: HeapSnapshot, v: number) => boolean,
  exclude: Uint32Array | undefined,
): GrowingValue[] {
  const out: GrowingValue[] = [];
  const { retainedSize, owner } = final;
  const { parentNode, parentEdge } = pathTree(final);
  const places = { base: new Places(base), target: new Places(target) };
  for (let v = 0; v < final.nodeCount; v++) {
    if (age[v] === OLD || retainedSize[v]! < 2 * GROWTH_STEP || owner[v] !== NO_NODE || parentEdge[v] === -1 || isInternal(final, v)) continue;
    // The edge of the value's shortest path: one edge a value, found in O(1) however many the holder has.
    const r = parentNode[v]!;
    const e = parentEdge[v]!;
    const holder = owner[r] !== NO_NODE ? owner[r]! : r;
    if (age[holder] !== OLD || holder === final.rootOrdinal) continue;
    if (exclude !== undefined && hasOrdinal(exclude, v)) continue;
    const step = edgeStep(final, r, e);
    if (!namesAPlace(final, e, step)) continue;
    const found = compare(places, final, v, holder, step);
    if (found) out.push(found);
  }
  return out.sort((a, b) => b.sizes[2] - b.sizes[0] - (a.sizes[2] - a.sizes[0]));
}

/** True when edge `e`, printed as `step`, names a place a program keeps a value at (not one of V8's own links). */
function namesAPlace(snap: HeapSnapshot, e: number, step: string): boolean {
  const t = snap.edgeType[e];
  const ty = snap.types;
  if (t === ty.edgeProperty || t === ty.edgeShortcut || t === ty.edgeContext || t === ty.edgeElement) return step !== '.__proto__';
  // Internal edges: a Map's value or a Set's member; `.[[name]]` links and closures' contexts are V8's.
  return t === ty.edgeInternal && (step.startsWith('.get(') || step.startsWith('.values()['));
}

/** The growing value at (holder, step) when it passes the test of the module comment, else null. */
function compare(places: { base: Places; target: Places }, final: HeapSnapshot, v: number, holder: number, step: string): GrowingValue | null {
  const id = final.nodeId[holder]!;
  const target = places.target.snap;
  const base = places.base.snap;
  const vt = places.target.valueAt(target.ordinalOfId(id), step);
  if (vt < 0 || target.nodeId[vt] === final.nodeId[v]) return null;
  const vb = places.base.valueAt(base.ordinalOfId(id), step);
  if (vb < 0) return null;
  const sizes = [base.retainedSize[vb]!, target.retainedSize[vt]!, final.retainedSize[v]!] as const;
  if (sizes[1] - sizes[0] < GROWTH_STEP || sizes[2] - sizes[1] < GROWTH_STEP) return null;
  const counts = [entriesOf(base, vb), entriesOf(target, vt), entriesOf(final, v)];
  return {
    ordinal: v,
    holder,
    step,
    ids: [base.nodeId[vb]!, target.nodeId[vt]!, final.nodeId[v]!],
    sizes,
    entries: counts.every((c) => c >= 0) ? (counts as [number, number, number]) : null,
  };
}

/**
 * The places of holders in one earlier snapshot: per holder, what each step out of it (or out of
 * a backing store it owns) leads to, read once per holder: a Map table of n values costs n step
 * texts once, not once per value asked about.
 */
class Places {
  readonly snap: HeapSnapshot;
  private readonly byHolder = new Map<number, Map<string, number>>();
  constructor(snap: HeapSnapshot) {
    this.snap = snap;
  }

  /** The node `holder` reaches by a strong edge printed as `step`, or -1; its own edges first, then its stores'. */
  valueAt(holder: number, step: string): number {
    if (holder < 0) return -1;
    let steps = this.byHolder.get(holder);
    if (!steps) {
      steps = this.read(holder);
      this.byHolder.set(holder, steps);
    }
    return steps.get(step) ?? -1;
  }

  private read(holder: number): Map<string, number> {
    const snap = this.snap;
    const { firstEdge, edgeTo, owner } = snap;
    const steps = new Map<string, number>();
    const add = (from: number) => {
      for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++) {
        if (snap.edgeType[e] === snap.types.edgeWeak) continue;
        const step = edgeStep(snap, from, e);
        if (!steps.has(step) && namesAPlace(snap, e, step)) steps.set(step, edgeTo[e]!);
      }
    };
    add(holder);
    for (let e = firstEdge[holder]!, end = firstEdge[holder + 1]!; e < end; e++) {
      if (owner[edgeTo[e]!] === holder) add(edgeTo[e]!);
    }
    return steps;
  }
}
/** Elements of an Array or entries of a Map or Set that hold a heap object; -1 for other values. */
function entriesOf(snap: HeapSnapshot, v: number): number {
  const cls = snap.className(v);
  if (cls === 'Array') {
    let n = 0;
    for (let e = snap.firstEdge[v]!, end = snap.firstEdge[v + 1]!; e < end; e++) if (snap.edgeType[e] === snap.types.edgeElement) n++;
    return n;
  }
  if (cls !== 'Map' && cls !== 'Set') return -1;
  for (let e = snap.firstEdge[v]!, end = snap.firstEdge[v + 1]!; e < end; e++) {
    const t = snap.edgeTo[e]!;
    if (snap.owner[t] === v && snap.edgeNameString(e) === 'table') return countEntries(snap, t, cls);
  }
  return 0;
}
