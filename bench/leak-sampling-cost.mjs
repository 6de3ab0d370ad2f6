#!/usr/bin/env node
// What `heapy leaks --pid`'s allocation sampling costs the target, in one process and one run:
//   node bench/leak-sampling-cost.mjs [iterations]   (default 2,000,000 requests)
// A service-like loop (a request object, a string, an array per request, the last 1,000 kept in
// a ring and every 100th in a bounded Map) runs the same number of requests with V8's sampling heap profiler off, on at
// 32 KiB (heapy's default), on at 4 KiB, and with allocation tracking (the exact alternative:
// HeapProfiler.startTrackingHeapObjects with trackAllocations, a stack per allocation), each
// twice in alternation; prints the best time of each and its ratio to "off".
import { Session } from 'node:inspector';

const iterations = Number(process.argv[2] ?? 2_000_000);
const s = new Session();
s.connect();
const post = (m, p = {}) => new Promise((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
s.on('HeapProfiler.addHeapSnapshotChunk', () => {}); // stopTrackingHeapObjects streams a snapshot

const kept = new Map();
// Recent requests, so that each one really is allocated (escape analysis would remove them otherwise).
const recent = new Array(1000);
function handle(i) {
  const req = { id: i, path: `/items/${i}`, headers: [i, i + 1, i + 2] };
  recent[i % 1000] = req;
  if (i % 100 === 0) kept.set(i % 5000, req);
  return req.path.length;
}
function work() {
  let x = 0;
  const t = performance.now();
  for (let i = 0; i < iterations; i++) x += handle(i);
  globalThis.benchSink = x;
  return performance.now() - t;
}

const modes = {
  off: { start: async () => {}, stop: async () => {} },
  'sampling 32 KiB': { start: () => post('HeapProfiler.startSampling', { samplingInterval: 32768 }), stop: () => post('HeapProfiler.stopSampling') },
  'sampling 4 KiB': { start: () => post('HeapProfiler.startSampling', { samplingInterval: 4096 }), stop: () => post('HeapProfiler.stopSampling') },
  'allocation tracking': { start: () => post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true }), stop: () => post('HeapProfiler.stopTrackingHeapObjects') },
};
await post('HeapProfiler.enable');
work(); // warm up: optimized code before any timing
const best = {};
for (let round = 0; round < 2; round++) {
  for (const [name, m] of Object.entries(modes)) {
    await m.start();
    const ms = work();
    await m.stop();
    best[name] = Math.min(best[name] ?? Infinity, ms);
  }
}
const load = (await import('node:os')).loadavg()[0];
console.log(`${iterations.toLocaleString('en-US')} requests; best of 2 (1-minute load ${load.toFixed(1)}: above 2 the times are inflated)`);
for (const [name, ms] of Object.entries(best)) console.log(`${name.padEnd(20)} ${ms.toFixed(0).padStart(7)} ms   x${(ms / best.off).toFixed(2)} of off`);
