// A closure that keeps a large buffer alive without mentioning it, plain Node with no heapy
// inside. `retryJob` only reads `job.id`, but it shares its function's context with `checksum`,
// which captures the 32 KB `raw` buffer: every retry callback left in `pendingRetries` keeps one
// buffer alive. Writes base/target/final .heapsnapshot files into the directory argv[2].
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
const ROUND = Number(process.argv[3] ?? 60);

const pendingRetries = new Set();
let nextJob = 1;

function startJob() {
  const job = { id: nextJob++, attempts: 0 };
  const raw = Buffer.alloc(32 * 1024, job.id & 0xff);
  const checksum = () => raw.reduce((a, b) => (a + b) & 0xffff, 0);
  job.attempts = checksum() > 0 ? 1 : 0;
  // The bug: retries are registered but never run or removed.
  pendingRetries.add(function retryJob() {
    return job.id;
  });
}

const keepAlive = setInterval(() => pendingRetries.size, 1000);

function round(n) {
  for (let i = 0; i < n; i++) startJob();
}

await writeTrio(dir, () => round(ROUND));
clearInterval(keepAlive);
