/**
 * The second core's share of analysing a big snapshot, alongside the main thread (see
 * HeapSnapshot's constructor): it counts the retainers and finds the owners of internal stores
 * while the main thread computes distances; once the main thread has published what the user's
 * roots reach, it fills the reverse graph while the main thread runs the dominator tree's
 * depth-first search. Reads and writes SharedArrayBuffers only; the two threads synchronise with
 * Atomics on `control`, so the main thread's analysis stays one synchronous call.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { computeOwners, countRetainers, fillRetainers, type ReverseGraph } from './passes.js';

/** Slot of the control array holding the worker's progress: one of the STAGE_ values. */
export const STAGE = 0;
/** Slot the main thread sets to 1 once `reachable` is filled in, or to 2 to stop the worker. */
export const GO = 1;
/** control[STAGE] before the worker runs. */
export const STAGE_NOT_STARTED = 0;
/** control[STAGE] once the worker runs. */
export const STAGE_STARTED = 1;
/** control[STAGE] once the reverse graph and the owners are complete. */
export const STAGE_DONE = 2;
/** control[STAGE] when something threw: the message is on `errors`. */
export const STAGE_FAILED = -1;

/** What the main thread passes in. */
export interface AnalysisWorkerInput {
  readonly graph: ReverseGraph;
  readonly owner: Uint32Array;
  readonly firstRetainer: Uint32Array;
  readonly retainers: Uint32Array;
  /** Filled by the main thread: 1 for nodes the user's roots reach. */
  readonly reachable: Uint8Array;
  readonly control: Int32Array;
  readonly errors: MessagePort;
}

function setStage(control: Int32Array, stage: number): void {
  Atomics.store(control, STAGE, stage);
  Atomics.notify(control, STAGE);
}

if (parentPort) {
  const input = workerData as AnalysisWorkerInput;
  const { control } = input;
  try {
    setStage(control, STAGE_STARTED);
    countRetainers(input.graph, input.firstRetainer);
    computeOwners(input.graph, input.owner);
    while (Atomics.load(control, GO) === 0) Atomics.wait(control, GO, 0);
    if (Atomics.load(control, GO) !== 1) process.exit(0);
    fillRetainers(input.graph, input.reachable, input.firstRetainer, input.retainers);
    setStage(control, STAGE_DONE);
  } catch (err) {
    input.errors.postMessage(String((err as Error)?.message ?? err));
    setStage(control, STAGE_FAILED);
  }
}
