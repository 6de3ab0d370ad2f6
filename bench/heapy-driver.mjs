#!/usr/bin/env node
// Bench driver for heapy's engine, used until (or when asked instead of) the `heapy summary` CLI:
// loadSnapshotFile() parses and analyses (retainers, distances, dominators, retained sizes,
// owners), then a class summary by className() over every node.
// Usage: node bench/heapy-driver.mjs FILE   (after npm run build)
import { emitResult, errorLine, since, topClasses } from './driver-common.mjs';

const file = process.argv[2];
const t0 = performance.now();
try {
  const { loadSnapshotFile } = await import(new URL('../dist/src/snapshot/index.js', import.meta.url).href);
  const phases = {};
  let phase = 'parse';
  let tPhase = performance.now();
  const snapshot = await loadSnapshotFile(file, {
    onProgress(name) {
      if (name !== phase) {
        phases[phase] = (phases[phase] ?? 0) + since(tPhase);
        phase = name;
        tPhase = performance.now();
      }
    },
  });
  phases[phase] = (phases[phase] ?? 0) + since(tPhase);
  const tLoaded = since(t0);
  const t1 = performance.now();
  const byClass = new Map();
  for (let ord = 0; ord < snapshot.nodeCount; ord++) {
    const key = snapshot.className(ord);
    const v = byClass.get(key);
    const size = snapshot.nodeSelfSize[ord];
    if (v) {
      v.count++;
      v.size += size;
    } else byClass.set(key, { count: 1, size });
  }
  const top = topClasses(byClass);
  const tSummary = since(t1);
  for (const c of top) process.stdout.write(`${String(c.count).padStart(9)} ${String(c.size).padStart(12)}  ${c.name}\n`);
  emitResult({
    tool: 'heapy',
    nodeCount: snapshot.nodeCount,
    edgeCount: snapshot.edgeCount,
    rootRetained: snapshot.retainedSize[snapshot.rootOrdinal],
    classes: byClass.size,
    topClass: top[0]?.name,
    phasesMs: { loadAndAnalyze: tLoaded, ...phases, summary: tSummary },
  });
} catch (err) {
  process.stderr.write(`heapy-driver: ${errorLine(err)}\n`);
  emitResult({ tool: 'heapy', error: errorLine(err) }, 1);
}
