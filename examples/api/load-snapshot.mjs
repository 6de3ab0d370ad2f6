// loadSnapshotFile(): a .heapsnapshot file from anywhere (heapy snapshot, DevTools, v8.writeHeapSnapshot).
// Run: node examples/api/load-snapshot.mjs [file.heapsnapshot]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { HeapSet, loadSnapshotFile } from 'heapy';

let file = process.argv[2];
let dir;
if (!file) {
  // No file given: write one of this process, holding 3000 Session objects.
  class Session {
    constructor(i) {
      this.user = `user-${i}`;
    }
  }
  globalThis.sessions = Array.from({ length: 3000 }, (_, i) => new Session(i));
  dir = mkdtempSync(join(tmpdir(), 'heapy-example-'));
  file = writeHeapSnapshot(join(dir, 'example.heapsnapshot'));
}

// onProgress reports each phase (parse, distances, dominators, ...) with done/total counts.
const phases = new Set();
const snap = await loadSnapshotFile(file, { onProgress: (phase) => phases.add(phase) });
console.log(`phases: ${[...phases].join(', ')}`);
console.log(`${snap.nodeCount} objects, ${snap.totalSize} bytes`);
const all = HeapSet.all(snap);
console.log(String(all.render({ limit: 5 }))); // the five largest kinds
const sessions = all.partition.rows.find((r) => r.label === 'Session');
if (sessions) console.log(`Session: ${sessions.count} objects, ${sessions.size} bytes`);
if (dir) rmSync(dir, { recursive: true });
