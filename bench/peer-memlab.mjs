#!/usr/bin/env node
// Bench driver for memlab: @memlab/heap-analysis getFullHeapFromFile() parses the file and runs
// memlab's path finder preparation (shortest paths to GC roots for every node, dominators and
// retained sizes), then a class summary by walking heap.nodes.
// Usage: node bench/peer-memlab.mjs FILE
import { createRequire } from 'node:module';
import { emitResult, errorLine, since, topClasses } from './driver-common.mjs';

const file = process.argv[2];
// memlab ships CommonJS; resolve it from the pinned install in bench/peers.
const require = createRequire(new URL('./peers/package.json', import.meta.url));
const t0 = performance.now();
try {
  const core = require('@memlab/core');
  // memlab's default on a parse error is to print and process.exit(1); throw instead so the
  // error line lands in our result.
  core.config.errorHandling = core.ErrorHandling?.Throw ?? 2;
  core.config.verbose = false;
  const { getFullHeapFromFile } = require('@memlab/heap-analysis');
  const heap = await getFullHeapFromFile(file);
  const tLoaded = since(t0);
  const t1 = performance.now();
  const byClass = new Map();
  heap.nodes.forEach((node) => {
    const key = node.type === 'object' || node.type === 'closure' || node.type === 'native' ? node.name : `(${node.type})`;
    const v = byClass.get(key);
    if (v) {
      v.count++;
      v.size += node.self_size;
    } else byClass.set(key, { count: 1, size: node.self_size });
  });
  const top = topClasses(byClass);
  const tSummary = since(t1);
  for (const c of top) process.stdout.write(`${String(c.count).padStart(9)} ${String(c.size).padStart(12)}  ${c.name}\n`);
  emitResult({
    tool: 'memlab',
    nodeCount: heap.nodes.length,
    edgeCount: heap.edges.length,
    rootRetained: heap.nodes.get(0).retainedSize,
    classes: byClass.size,
    topClass: top[0]?.name,
    phasesMs: { loadAndAnalyze: tLoaded, summary: tSummary },
  });
} catch (err) {
  process.stderr.write(`peer-memlab: ${errorLine(err)}\n`);
  emitResult({ tool: 'memlab', error: errorLine(err) }, 1);
}
