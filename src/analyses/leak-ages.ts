/**
 * The ages of objects across three snapshots of one process, by V8 heap id (stable within a
 * process, never reused): old (in base), survivor (new in target), fresh (new in final).
 */
import { ExitCode, HeapyError } from '../errors.js';
import { maxIds, NO_DISTANCE, type HeapSnapshot } from '../snapshot/index.js';
import { compareIdEpochs } from '../query/epoch.js';

/** Age of a final node that was in base (the root always is). */
export const OLD = 0;
/** Age of a final node first seen in target: a survivor of the target round. */
export const SURVIVOR = 1;
/** Age of a final node in neither base nor target. */
export const FRESH = 2;
// Age of a final node not reachable from the roots (garbage awaiting collection).
const GONE = 3;

/**
 * Refuses snapshots that cannot be compared by id: out of order (V8 ids only grow, so a later
 * snapshot has the larger largest id), or not of one id epoch (query/epoch.ts: another inspector
 * session ended between them, or two processes).
 */
export function checkSequence(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot): void {
  const [b, t, f] = [base, target, final].map((s) => maxIds(s.nodeId).js) as [number, number, number];
  if (b > t || t > f) {
    throw new HeapyError(`the snapshots are out of order: give base, target and final as taken (largest object ids ${b}, ${t}, ${f})`, ExitCode.badInput);
  }
  for (const [earlier, name] of [
    [base, 'base'],
    [target, 'target'],
  ] as const) {
    const verdict = compareIdEpochs(earlier, final);
    if (verdict.comparable === false) throw new HeapyError(`${name} and final cannot be compared by object id: ${verdict.reason}`, ExitCode.badInput);
  }
}

/** The ages of target's and final's nodes, and the counts a leak report starts with. */
export interface Ages {
  /** Per final node: OLD (in base), SURVIVOR (in target), FRESH (in neither) or GONE (unreachable). */
  readonly final: Uint8Array;
  /** Per target node: 1 when it was in base (the root always). */
  readonly oldInTarget: Uint8Array;
  /** Reachable objects in target that were not in base. */
  readonly newInTarget: number;
  /** Final nodes that are SURVIVOR. */
  readonly survivors: number;
  /** Final nodes that are FRESH. */
  readonly freshInFinal: number;
}

/** Ages every node of target and final by looking its V8 id up in the earlier snapshots. */
export function ageNodes(base: HeapSnapshot, target: HeapSnapshot, final: HeapSnapshot): Ages {
  const oldInTarget = new Uint8Array(target.nodeCount);
  let newInTarget = 0;
  for (let v = 0; v < target.nodeCount; v++) {
    const inBase = base.ordinalOfId(target.nodeId[v]!) >= 0;
    oldInTarget[v] = inBase ? 1 : 0;
    if (!inBase && target.distance[v] !== NO_DISTANCE) newInTarget++;
  }
  oldInTarget[target.rootOrdinal] = 1;
  const N = final.nodeCount;
  const age = new Uint8Array(N);
  const { nodeId, distance } = final;
  let survivors = 0;
  let freshInFinal = 0;
  for (let v = 0; v < N; v++) {
    if (distance[v] === NO_DISTANCE) {
      age[v] = GONE;
      continue;
    }
    const id = nodeId[v]!;
    age[v] = base.ordinalOfId(id) >= 0 ? OLD : target.ordinalOfId(id) >= 0 ? SURVIVOR : FRESH;
  }
  age[final.rootOrdinal] = OLD;
  for (let v = 0; v < N; v++) {
    if (age[v] === SURVIVOR) survivors++;
    else if (age[v] === FRESH) freshInFinal++;
  }
  return { final: age, oldInTarget, newInTarget, survivors, freshInFinal };
}

