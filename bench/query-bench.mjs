#!/usr/bin/env node
// Issue 3's figure: partitioning a whole heap after load. Loads a snapshot with heapy's engine,
// then times HeapSet.all + the partition by kind (cold: builds the kind table), by type and by
// size, and shortest paths for the 10 largest objects of the top kind. Prints one JSON line.
// Usage: node bench/query-bench.mjs <file.heapsnapshot>
import { loadSnapshotFile } from '../dist/src/snapshot/index.js';
import { HeapSet } from '../dist/src/api/index.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/query-bench.mjs <file.heapsnapshot>');
  process.exit(2);
}
const t0 = performance.now();
const snap = await loadSnapshotFile(file);
const loadS = (performance.now() - t0) / 1000;
const time = (f) => {
  const s = performance.now();
  const v = f();
  return [v, (performance.now() - s) / 1000];
};
const [all, allS] = time(() => HeapSet.all(snap));
const [byKind, kindS] = time(() => all.partition);
const [, typeS] = time(() => all.byType.partition);
const [, sizeS] = time(() => all.bySize.partition);
const top = all.at(0);
const [, spS] = time(() => top.byId.at(0).sp.paths.length + new HeapSet(snap, top.ordinals.subarray(0, 10)).sp.paths.length);
console.log(
  JSON.stringify({
    file,
    nodes: snap.nodeCount,
    loadS: +loadS.toFixed(2),
    allS: +allS.toFixed(3),
    partitionByKindS: +kindS.toFixed(3),
    partitionByTypeS: +typeS.toFixed(3),
    partitionBySizeS: +sizeS.toFixed(3),
    sp10S: +spS.toFixed(3),
    kinds: byKind.rows.length,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
