/**
 * The second core's share of analysing a big snapshot, alongside the main thread (see
 * HeapSnapshot's constructor): it counts the retainers and finds the owners of internal stores
 * while the main thread computes distances; once the main thread has published what the user's
 * roots reach, it fills the reverse graph while the main thread runs the dominator tree's
 * depth-first search, and it renumbers half of the retainer entries before and after the
 * semidominator loop (see computeDominators). Reads and writes SharedArrayBuffers only; the two threads synchronise with
 * Atomics on `control`, so the main thread's analysis stays one synchronous call.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { computeOwners, countRetainers, fillRetainers, type ReverseGraph } from './passes.js';
import { remapEntries, secondHalf } from './dominators.js';

/** Slot of the control array holding the last step the worker finished (or STAGE_FAILED). */
export const STAGE = 0;
/** Slot holding the last step the main thread allows the worker to run, or STEP_STOP. */
export const GO = 1;
/** control[STAGE] before the worker runs. */
export const STAGE_NOT_STARTED = 0;
/** control[STAGE] once the retainers are counted and the owners found. */
export const STAGE_READY = 1;
/** control[STAGE] when something threw: the message is on `errors`. */
export const STAGE_FAILED = -1;
/** Step 1: fill the reverse graph (once `reachable` is filled in). Done: STAGE = 2. */
export const STEP_FILL = 1;
/** Step 2: write DFS numbers into the second half of the retainer entries. Done: STAGE = 3. */
export const STEP_TO_DFS = 2;
/** Step 3: turn the second half back into ordinals. Done: STAGE = 4. */
export const STEP_TO_ORDINALS = 3;
/** control[GO] to end the worker early. */
export const STEP_STOP = -1;

/** What the main thread passes in. */
export interface AnalysisWorkerInput {
  readonly graph: ReverseGraph;
  readonly owner: Uint32Array;
  readonly firstRetainer: Uint32Array;
  readonly retainers: Uint32Array;
  /** Filled by the main thread: 1 for nodes the user's roots reach. */
  readonly reachable: Uint8Array;
  /** The dominator pass's DFS numbers and vertex order (length nodeCount + 1). */
  readonly dfnum: Uint32Array;
  readonly vertex: Uint32Array;
  readonly control: Int32Array;
  readonly errors: MessagePort;
}

function setStage(control: Int32Array, stage: number): void {
  Atomics.store(control, STAGE, stage);
  Atomics.notify(control, STAGE);
}

/** Waits until the main thread allows `step`; false if it says stop. */
function allowed(control: Int32Array, step: number): boolean {
  for (;;) {
    const go = Atomics.load(control, GO);
    if (go === STEP_STOP) return false;
    if (go >= step) return true;
    Atomics.wait(control, GO, go);
  }
}

if (parentPort) {
  const input = workerData as AnalysisWorkerInput;
  const { control, retainers } = input;
  try {
    countRetainers(input.graph, input.firstRetainer);
    computeOwners(input.graph, input.owner);
    setStage(control, STAGE_READY);
    if (allowed(control, STEP_FILL)) {
      fillRetainers(input.graph, input.reachable, input.firstRetainer, retainers);
      setStage(control, STEP_FILL + 1);
    }
    if (allowed(control, STEP_TO_DFS)) {
      remapEntries(retainers, input.dfnum, secondHalf(retainers), retainers.length);
      setStage(control, STEP_TO_DFS + 1);
    }
    if (allowed(control, STEP_TO_ORDINALS)) {
      remapEntries(retainers, input.vertex, secondHalf(retainers), retainers.length);
      setStage(control, STEP_TO_ORDINALS + 1);
    }
  } catch (err) {
    input.errors.postMessage(String((err as Error)?.message ?? err));
    setStage(control, STAGE_FAILED);
  }
}
