/**
 * Runs the owners pass on the second core while the main thread builds
 * the reverse graph and the dominator tree. Reads and writes SharedArrayBuffers only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { computeOwners, type ForwardGraph } from './passes.js';

/** What the main thread passes in. */
export interface AnalysisWorkerInput {
  readonly graph: ForwardGraph;
  readonly owner: Uint32Array;
}

if (parentPort) {
  const input = workerData as AnalysisWorkerInput;
  try {
    computeOwners(input.graph, input.owner);
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String((err as Error)?.message ?? err) });
  }
}
