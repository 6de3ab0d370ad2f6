/**
 * The second core's share of analysing a big snapshot, alongside the main thread (see
 * HeapSnapshot's constructor): it counts the retainers and finds the owners of internal stores
 * while the main thread computes distances; once the main thread has published what the user's
 * roots reach, it fills the reverse graph while the main thread runs the dominator tree's
 * depth-first search, and it renumbers half of the retainer entries before the semidominator loop
 * and all of them back afterwards, while the main thread goes on (see computeDominators). When
 * the distances were known before it started, it finds the owners during the loop instead; on
 * huge graphs, after it, in the DFS numbers' memory (AnalysisWorkerInput.owner). Reads and writes
 * SharedArrayBuffers only; the two threads synchronise with Atomics on `control`, so the main
 * thread's analysis stays one synchronous call. */
import { parentPort, workerData } from 'node:worker_threads';
import { computeOwners, countRetainers, fillRetainers, GO, STAGE, STAGE_FAILED, STAGE_READY, STEP_FILL, STEP_STOP, STEP_TO_DFS, STEP_TO_ORDINALS, OWNERS_DONE, type AnalysisWorkerInput } from './passes.js';
import { remapEntries, secondHalf } from './dominators.js';


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
    // When the distances were known before this worker started (a big snapshot's search ran before
    // the analysis: see HeapSnapshot.build), the main thread is already in the depth-first search
    // and next waits for the reverse graph, then for this thread's half of its renumbering: do
    // those first, and the owners while the main thread runs the semidominator loop. The owners
    // are only read once the analysis is over, after the last step below.
    const ownersLate = Atomics.load(control, GO) >= STEP_FILL;
    const intoDfnum = input.owner === null;
    const owners = () => {
      computeOwners(input.graph, input.owner ?? input.dfnum.subarray(0, input.graph.nodeCount));
      Atomics.store(control, OWNERS_DONE, 1);
      Atomics.notify(control, OWNERS_DONE);
    };
    if (!ownersLate && !intoDfnum) {
      owners();
      setStage(control, STAGE_READY);
    }
    if (allowed(control, STEP_FILL)) {
      fillRetainers(input.graph, input.reachable, input.firstRetainer, retainers);
      setStage(control, STEP_FILL + 1);
    }
    if (allowed(control, STEP_TO_DFS)) {
      remapEntries(retainers, input.dfnum, secondHalf(retainers), retainers.length);
      setStage(control, STEP_TO_DFS + 1);
    }
    if (ownersLate && !intoDfnum) owners();
    if (allowed(control, STEP_TO_ORDINALS)) {
      // The main thread is done with dfnum once it allows this step.
      if (intoDfnum) owners();
      // All of them: the main thread goes on meanwhile (see finishRetainers in graph.ts).
      remapEntries(retainers, input.vertex, 0, retainers.length);
      setStage(control, STEP_TO_ORDINALS + 1);
    }
  } catch (err) {
    input.errors.postMessage(String((err as Error)?.message ?? err));
    setStage(control, STAGE_FAILED);
  }
}
