/**
 * Whether two snapshots number objects alike, judged from the snapshots alone (files from
 * DevTools, `writeHeapSnapshot` or `--heapsnapshot-signal` carry nothing else).
 *
 * V8 keeps one address-to-id map per isolate and clears it whenever an inspector session ends or
 * HeapProfiler.disable runs (docs/object-identity.md has the measurements); the next snapshot then
 * gives every object a new id. Ids never match across processes. Within one id epoch an object
 * keeps its id, the global object and the built-ins hanging from it included, so their ids are
 * the anchor: equal in one epoch, different after a reset. A sample of shared ids whose objects
 * must agree in type and name catches two processes whose start-up numbered alike.
 */
import type { HeapSnapshot } from '../snapshot/index.js';

/** The verdict of {@link compareIdEpochs}. */
export interface IdEpochVerdict {
  /** true: an object has the same id in both; false: ids do not identify objects across them; null: cannot tell. */
  readonly comparable: boolean | null;
  /** One line saying why, for output that has to leave an id-based result out. */
  readonly reason: string;
}

// Built-ins every JS global has from start-up: they live as long as the isolate.
const ANCHOR_NAMES = ['Object', 'Array', 'Function', 'Promise', 'Map', 'Set', 'JSON', 'Math', 'Reflect', 'Symbol', 'Error'];
// The same-process sample (as leaks has used since it was written): up to SAMPLE ids evenly
// spread; judged once MIN_CHECKED are in both; within one process nearly every object keeps its
// type and name (strings V8 flattens are the exception), so fewer than SHARE alike means not.
const SAMPLE = 2000;
const MIN_CHECKED = 50;
const SHARE = 0.8;

// What sends a user to snapshots that can be compared by id.
const SAME_SESSION_ADVICE = 'take the snapshots in one session: heapy snapshot <pid> --count N, or heapy leaks --pid';

/** The global objects (the root's object children) and their built-ins, by a stable name. */
function anchors(snap: HeapSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  const { firstEdge, edgeTo, nodeType, nodeId } = snap;
  const object = snap.types.object;
  const root = snap.rootOrdinal;
  for (let e = firstEdge[root]!, end = firstEdge[root + 1]!; e < end; e++) {
    const g = edgeTo[e]!;
    if (nodeType[g] !== object) continue;
    const gname = snap.nodeNameString(g);
    out.set(gname, nodeId[g]!);
    for (let f = firstEdge[g]!, fend = firstEdge[g + 1]!; f < fend; f++) {
      if (snap.edgeHasIndex(f)) continue;
      const name = snap.edgeNameString(f);
      if (ANCHOR_NAMES.includes(name)) out.set(`${gname}.${name}`, nodeId[edgeTo[f]!]!);
    }
  }
  return out;
}

/** Of up to SAMPLE ids of `later` also in `earlier`, how many name an object of the same type and name. */
function sampleAlike(earlier: HeapSnapshot, later: HeapSnapshot): { checked: number; same: number } {
  let same = 0;
  let checked = 0;
  const step = Math.max(1, Math.floor(later.nodeCount / SAMPLE));
  for (let v = 0; v < later.nodeCount; v += step) {
    const o = earlier.ordinalOfId(later.nodeId[v]!);
    if (o < 0) continue;
    checked++;
    if (earlier.nodeType[o] === later.nodeType[v] && earlier.nodeNameString(o) === later.nodeNameString(v)) same++;
  }
  return { checked, same };
}

/** Whether objects of `earlier` and `later` can be matched by their V8 ids. */
export function compareIdEpochs(earlier: HeapSnapshot, later: HeapSnapshot): IdEpochVerdict {
  if (earlier === later) return { comparable: true, reason: 'one snapshot' };
  const a = anchors(earlier);
  const b = anchors(later);
  let shared = 0;
  for (const [name, id] of a) {
    const other = b.get(name);
    if (other === undefined) continue;
    shared++;
    if (other !== id) {
      return {
        comparable: false,
        reason: `not snapshots of one process and one id epoch (${name} is @${id} in one, @${other} in the other): V8 gives every object a new id when an inspector session ends, and ids never match across processes; ${SAME_SESSION_ADVICE}`,
      };
    }
  }
  const { checked, same } = sampleAlike(earlier, later);
  if (checked >= MIN_CHECKED && same < checked * SHARE) {
    return {
      comparable: false,
      reason: `not snapshots of one process and one id epoch: of ${checked} objects with the same id, ${checked - same} differ in type or name; ${SAME_SESSION_ADVICE}`,
    };
  }
  if (shared > 0) return { comparable: true, reason: `the global object and ${shared - 1} built-ins have the same ids in both` };
  return { comparable: null, reason: `cannot tell whether the snapshots number objects alike (no global object to compare, ${checked} shared ids checked)` };
}

/**
 * The one-line statement for a reference point that no longer holds: `what` had id `then` when it
 * was set and has `now` in the snapshot just taken.
 */
export function lostReference(what: string, then: number, now: number): string {
  return `the reference point no longer holds: V8 renumbered every object since it was set (${what} was @${then}, now @${now}), as it does whenever an inspector session ends; set it again`;
}
