// The three snapshots of a leak test: base, target and final .heapsnapshot files in `dir`, each
// written after one call of `step` (awaited when it returns a promise). A sync step runs with no
// turn of the event loop between it and its snapshot.
import v8 from 'node:v8';
import { join } from 'node:path';

export async function writeTrio(dir, step) {
  for (const name of ['base', 'target', 'final']) {
    const pending = step();
    if (pending && typeof pending.then === 'function') await pending;
    v8.writeHeapSnapshot(join(dir, `${name}.heapsnapshot`));
  }
}
