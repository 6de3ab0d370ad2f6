// Requests stuck on an upstream that never answers, plain Node with no heapy inside: every
// handleRequest() call stays suspended at `await upstream.call(...)`, its pending promise keeps the
// async frame (and its Request) alive, and the per-request deadline timer, cleared only after the
// await, piles up too. The Node counterpart of the seed's CoroutineType and asyncio Task rows.
// Writes base/target/final .heapsnapshot files into the directory argv[2].
import v8 from 'node:v8';
import { join } from 'node:path';

const dir = process.argv[2];
const ROUND = Number(process.argv[3] ?? 1200);

class Upstream {
  constructor() {
    this.pending = new Map();
    this.seq = 0;
  }
  // The reply that would settle these promises never arrives.
  call(payload) {
    return new Promise((resolve, reject) => {
      this.pending.set(++this.seq, { resolve, reject, payload });
    });
  }
}

class Request {
  constructor(id) {
    this.id = id;
    this.path = '/quote';
    this.startedAt = Date.now();
  }
}

const upstream = new Upstream();
let nextId = 1;

async function handleRequest() {
  const req = new Request(nextId++);
  const deadline = setTimeout(() => {}, 3_600_000);
  const quote = await upstream.call({ id: req.id });
  clearTimeout(deadline);
  return quote;
}

function round(n) {
  for (let i = 0; i < n; i++) handleRequest();
}

round(ROUND);
await new Promise((r) => setTimeout(r, 10));
v8.writeHeapSnapshot(join(dir, 'base.heapsnapshot'));
round(ROUND);
await new Promise((r) => setTimeout(r, 10));
v8.writeHeapSnapshot(join(dir, 'target.heapsnapshot'));
round(ROUND);
await new Promise((r) => setTimeout(r, 10));
v8.writeHeapSnapshot(join(dir, 'final.heapsnapshot'));
process.exit(0);
