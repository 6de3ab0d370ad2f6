#!/usr/bin/env node
// What a reference point costs against a whole heap, in one process and one run (issue 15):
//   node bench/setref-cost.mjs [objects]   (after npm run build; default 300,000 objects, ~50 MB)
//   node bench/setref-cost.mjs [objects] --json   the rounds as one JSON line at the end (for capture-goals.mjs)
// Prints, for two rounds: h.setref() (V8's snapshot, ids only), h.heap() (snapshot, parse,
// analysis) and their ratio; then what the only other id-assigning primitive of V8's inspector
// costs: HeapProfiler.startTrackingHeapObjects (one numbering pass), and the event-loop turns the
// process still gets while tracking stays on (V8 then runs a full GC and a heap walk every 50 ms,
// and stopping it either takes a snapshot or clears every id).
import { Session } from 'node:inspector';
const { hpy } = await import(new URL('../dist/src/index.js', import.meta.url).href);

const asJson = process.argv.includes('--json');
const objects = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 300_000);
const rounds = [];
const keep = [];
for (let i = 0; i < objects; i++) keep.push({ i, name: `n${i}`, tags: [i % 7] });
globalThis.benchKeep = keep;
console.log(`heap: ${objects} objects, heapUsed ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB`);
const h = hpy();
for (let round = 1; round <= 2; round++) {
  let t = performance.now();
  await h.setref();
  const setref = performance.now() - t;
  t = performance.now();
  await h.heap();
  const heap = performance.now() - t;
  rounds.push({ setrefMs: setref, heapMs: heap, ratio: setref / heap });
  console.log(`round ${round}: setref ${setref.toFixed(0)} ms, heap() ${heap.toFixed(0)} ms, setref/heap ${(setref / heap).toFixed(2)} (goal 0.10)`);
}
h.close();

const s = new Session();
s.connect();
const post = (m, p = {}) => new Promise((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
const turns = (ms) =>
  new Promise((resolve) => {
    let n = 0;
    const end = performance.now() + ms;
    const f = () => (++n, performance.now() < end ? setImmediate(f) : resolve(n));
    f();
  });
await post('HeapProfiler.enable');
let t = performance.now();
await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: false });
const start = performance.now() - t;
const tracking = await turns(2000);
await post('HeapProfiler.disable');
const free = await turns(2000);
console.log(`startTrackingHeapObjects ${start.toFixed(0)} ms; event-loop turns in 2 s: ${tracking} while tracking, ${free} after`);
s.disconnect();
if (asJson) console.log(JSON.stringify({ objects, rounds }));
