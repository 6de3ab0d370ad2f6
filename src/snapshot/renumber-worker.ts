/**
 * The second core's share of renumbering a scattered snapshot (see renumber.ts): it moves the
 * edges of the first nodes while the main thread rewrites the node arrays and then moves the
 * rest. SharedArrayBuffers only.
 */
import { workerData } from 'node:worker_threads';
import { moveEdges, STAGE_FAILED, STAGE_MOVED, type RenumberWorkerInput } from './renumber.js';

const input = workerData as RenumberWorkerInput | null;
if (input) {
  const { control } = input;
  const stage = (s: number) => {
    Atomics.store(control, 0, s);
    Atomics.notify(control, 0);
  };
  try {
    moveEdges(input, 0, input.until);
    stage(STAGE_MOVED);
  } catch (err) {
    input.errors.postMessage(String((err as Error)?.message ?? err));
    stage(STAGE_FAILED);
  }
}
