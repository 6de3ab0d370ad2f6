// A small async service used as an attach target. It knows nothing about heapy: an HTTP API on
// 127.0.0.1 (random port, printed on stdout as JSON), periodic timers, promise chains, a worker
// thread with its own cache, and a leak: every failed job is pushed to a retry queue that nothing
// ever drains.
//
// Endpoints: GET /order?n=N creates N Order objects kept in `openOrders`; GET /fail?n=N makes N
// jobs fail (each leaks one FailedJob into `retryQueue.items`); GET /stats returns counts.
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';

class Session {
  constructor(id) {
    this.id = id;
    this.startedAt = Date.now();
    this.tags = ['web', `s${id}`];
  }
}

class Order {
  constructor(id, amount) {
    this.id = id;
    this.amount = amount;
    this.lines = [{ sku: `sku-${id}`, qty: 1 }];
  }
}

class FailedJob {
  constructor(id, error) {
    this.id = id;
    this.error = error;
    this.payload = 'x'.repeat(64) + id;
  }
}

class RetryQueue {
  constructor() {
    this.items = [];
  }
  push(job) {
    this.items.push(job);
  }
}

const sessions = new Map();
for (let i = 0; i < 20; i++) sessions.set(i, new Session(i));

const openOrders = new Map();
const retryQueue = new RetryQueue();
let nextOrder = 1;
let nextJob = 1;
let ticks = 0;

async function runJob(id) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new Error(`job ${id} failed: upstream timeout`);
}

async function failJobs(n) {
  for (let i = 0; i < n; i++) {
    const id = nextJob++;
    try {
      await runJob(id);
    } catch (err) {
      retryQueue.push(new FailedJob(id, err));
    }
  }
}

// A heartbeat timer and a pending promise chain that never settles until the process exits.
setInterval(() => {
  ticks++;
}, 100);
const shutdown = new Promise((resolve) => process.once('SIGTERM', resolve));
shutdown.then(() => process.exit(0));

// The worker keeps its own cache of WorkerEntry objects.
const worker = new Worker(
  `
  const { parentPort } = require('node:worker_threads');
  class WorkerEntry { constructor(k) { this.key = k; this.value = { k, at: Date.now() }; } }
  globalThis.workerCache = [];
  for (let i = 0; i < 30; i++) globalThis.workerCache.push(new WorkerEntry(i));
  setInterval(() => {}, 1000);
  parentPort.postMessage('ready');
  `,
  { eval: true },
);

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const n = Number(url.searchParams.get('n') ?? '1');
  if (url.pathname === '/order') {
    for (let i = 0; i < n; i++) {
      const id = nextOrder++;
      openOrders.set(id, new Order(id, id * 10));
    }
  } else if (url.pathname === '/fail') {
    await failJobs(n);
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ orders: openOrders.size, leaked: retryQueue.items.length, sessions: sessions.size, ticks }));
});

worker.once('message', () => {
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(JSON.stringify({ pid: process.pid, port: addr.port }) + '\n');
  });
});
