// A small HTTP service that mounts heapy's /debug/pprof/heap handler (through the package's own
// 'heapy/pprof' export) and keeps what one known function allocates. Prints its port on stdout.
// GET /stop stops the handler and answers whether V8's sampling is off afterwards.
// Usage: node pprof-service.mjs
import { createServer } from 'node:http';
import { Session } from 'node:inspector';
import { heapProfileHandler } from 'heapy/pprof';

const kept = [];
function retainRecords(n) {
  for (let i = 0; i < n; i++) kept.push({ id: i, name: `record-${i}`, tags: [i, i + 1, i + 2] });
}
retainRecords(200_000);

const pprof = heapProfileHandler();
// Allocations after the handler started are the ones sampled.
retainRecords(200_000);

async function samplingIsOff() {
  const s = new Session();
  s.connect();
  try {
    await new Promise((resolve, reject) => s.post('HeapProfiler.getSamplingProfile', (err, r) => (err ? reject(err) : resolve(r))));
    return false;
  } catch {
    return true;
  } finally {
    s.disconnect();
  }
}

const server = createServer((req, res) => {
  if (req.url === '/stop') {
    pprof.stop().then(samplingIsOff).then((off) => res.end(JSON.stringify({ off, kept: kept.length })));
    return;
  }
  pprof(req, res, () => res.end('app\n'));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
