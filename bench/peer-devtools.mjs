#!/usr/bin/env node
// Bench driver for heap-snapshot-toolkit (Chrome DevTools' own heap snapshot worker code):
// parse, then the worker's initialize() (distances, dominators, retained sizes, flags, names),
// then a class summary with aggregatesWithFilter({}), as the DevTools "Summary" view does.
// Usage: node bench/peer-devtools.mjs FILE
import { createReadStream } from 'node:fs';
import { emitResult, errorLine, since, topClasses } from './driver-common.mjs';

const file = process.argv[2];
const t0 = performance.now();
try {
  // The pinned copy in bench/peers, not the project's devDependency, so the version is fixed here.
  const { parse } = await import(new URL('./peers/node_modules/heap-snapshot-toolkit/index.js', import.meta.url).href);
  const snapshot = await parse(createReadStream(file, 'utf-8'));
  const tLoaded = since(t0);
  const t1 = performance.now();
  const aggregates = snapshot.aggregatesWithFilter({});
  const byClass = new Map();
  for (const a of Object.values(aggregates)) byClass.set(a.name, { count: a.count, size: a.self });
  const top = topClasses(byClass);
  const tSummary = since(t1);
  for (const c of top) process.stdout.write(`${String(c.count).padStart(9)} ${String(c.size).padStart(12)}  ${c.name}\n`);
  emitResult({
    tool: 'devtools',
    nodeCount: snapshot.nodeCount,
    edgeCount: snapshot.edgeCount ?? snapshot.containmentEdges.length / snapshot.edgeFieldsCount,
    rootRetained: snapshot.rootNode().retainedSize(),
    classes: byClass.size,
    topClass: top[0]?.name,
    phasesMs: { loadAndAnalyze: tLoaded, summary: tSummary },
  });
} catch (err) {
  process.stderr.write(`peer-devtools: ${errorLine(err)}\n`);
  emitResult({ tool: 'devtools', error: errorLine(err) }, 1);
}
