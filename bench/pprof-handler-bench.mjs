#!/usr/bin/env node
// What heapy/pprof's heapProfileHandler costs a service: the throughput (requests/s) of a small
// HTTP service without the handler, and with it mounted (V8's sampling heap profiler on at the
// handler's interval, the profile scraped once a round as Pyroscope or Parca would), in the same
// run, the two services side by side under the same load in each round, so that the machine's
// other work hits both alike. Prints both rates, the ratio
// and the cost in percent; a BENCH_RESULT line for scripts.
// Usage: node bench/pprof-handler-bench.mjs [--seconds 3] [--rounds 7] [--concurrency 16] [--interval 524288]
// (the service is this file run with --serve with|without; it needs `npm run build` first.)
import { spawn } from 'node:child_process';
import { createServer, Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { emitResult } from './driver-common.mjs';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '16' },
    interval: { type: 'string', default: String(512 * 1024) },
  },
});

if (values.serve) {
  // The service: each request builds a page of 50 order objects and answers it as JSON (~6 KB),
  // about what a small API endpoint allocates (~60 KB a request).
  let pprof;
  if (values.serve === 'with') {
    const { heapProfileHandler } = await import('../dist/src/export/pprof-handler.js');
    pprof = heapProfileHandler({ samplingInterval: Number(values.interval) });
  }
  let n = 0;
  const server = createServer((req, res) => {
    if (pprof && req.url.startsWith('/debug/pprof/')) return pprof(req, res);
    const orders = [];
    for (let i = 0; i < 50; i++) orders.push({ id: n++, customer: `customer-${i % 7}`, items: [i, i * 2, i * 3], total: i * 1.25, note: 'x'.repeat(i) });
    const body = JSON.stringify({ page: n, orders });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
} else {
  await bench();
}

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * CPU seconds (user + system) the process `pid` has used, from /proc (Linux): the cost per request
 * on a machine where other processes make wall-clock rates swing (clock ticks of 10 ms: a round
 * of seconds of CPU is read to ~1%).
 */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // Fields 14 and 15 of stat(5), counted from the state field (3rd): utime, stime in ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function startService(mode) {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--serve', mode, '--interval', values.interval], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`service (${mode}) exited ${code}`)));
  });
  return { child, port };
}

/**
 * One round: both services at once, each under `concurrency` requests in flight for `seconds`, so
 * that whatever else the machine runs meanwhile slows both alike. Returns each one's requests/s
 * and CPU seconds per request; the profile is scraped once, midway, as a scraper would.
 */
async function measurePair(seconds, concurrency) {
  const services = { without: await startService('without'), with: await startService('with') };
  const agents = { without: new Agent({ keepAlive: true, maxSockets: concurrency }), with: new Agent({ keepAlive: true, maxSockets: concurrency }) };
  const load = async (mode, end, count) => {
    const { port } = services[mode];
    let done = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await get(agents[mode], port, '/');
        done++;
      }
    }));
    if (count) count[mode] = done;
  };
  try {
    // Warm up (JIT, sockets) for a second, uncounted.
    const warm = performance.now() + 1000;
    await Promise.all([load('without', warm), load('with', warm)]);
    const count = {};
    const cpu0 = { without: cpuSeconds(services.without.child.pid), with: cpuSeconds(services.with.child.pid) };
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let profileBytes = 0;
    const scrape = new Promise((r) => setTimeout(r, (seconds * 1000) / 2))
      .then(() => get(new Agent(), services.with.port, '/debug/pprof/heap'))
      .then((b) => (profileBytes = b.length));
    await Promise.all([load('without', end, count), load('with', end, count), scrape]);
    const wall = (performance.now() - t0) / 1000;
    const out = { profileBytes };
    for (const mode of ['without', 'with']) out[mode] = { rate: count[mode] / wall, cpuPerRequest: (cpuSeconds(services[mode].child.pid) - cpu0[mode]) / count[mode] };
    return out;
  } finally {
    for (const a of Object.values(agents)) a.destroy();
    for (const sv of Object.values(services)) sv.child.kill();
  }
}

async function bench() {
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const rates = { without: [], with: [] };
  const cpu = { without: [], with: [] };
  let profileBytes = 0;
  for (let r = 0; r < rounds; r++) {
    const m = await measurePair(seconds, concurrency);
    profileBytes = m.profileBytes;
    for (const mode of ['without', 'with']) {
      rates[mode].push(m[mode].rate);
      cpu[mode].push(m[mode].cpuPerRequest);
    }
    process.stdout.write(
      `round ${r + 1}: without ${m.without.rate.toFixed(0).padStart(6)} req/s ${(m.without.cpuPerRequest * 1e6).toFixed(0).padStart(4)} µs CPU a request;` +
        ` with ${m.with.rate.toFixed(0).padStart(6)} req/s ${(m.with.cpuPerRequest * 1e6).toFixed(0).padStart(4)} µs\n`,
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without = median(rates.without);
  const withHandler = median(rates.with);
  // The ratio is the median of each round's pair (run side by side), which a busy machine's swings
  // between rounds disturb less than the ratio of the two medians.
  const ratio = median(rates.with.map((w, i) => w / rates.without[i]));
  // The service's own CPU per request, which other processes on the machine disturb far less.
  const cpuWithout = median(cpu.without);
  const cpuWith = median(cpu.with);
  const cpuRatio = cpuWithout / cpuWith;
  process.stdout.write(
    `\nmedian of ${rounds} rounds of ${seconds} s, ${concurrency} requests in flight:\n` +
      `  without handler            ${without.toFixed(0).padStart(7)} req/s\n` +
      `  with handler, sampling on  ${withHandler.toFixed(0).padStart(7)} req/s (every ${Number(values.interval) / 1024} KiB; one scrape a round, ${profileBytes} bytes gzipped)\n` +
      `  ratio with/without         ${ratio.toFixed(3)}  (cost ${((1 - ratio) * 100).toFixed(1)}%; median of the rounds' ratios)\n` +
      `  CPU per request            ${(cpuWithout * 1e6).toFixed(0)} µs without, ${(cpuWith * 1e6).toFixed(0)} µs with: throughput ratio ${cpuRatio.toFixed(3)} (cost ${((1 - cpuRatio) * 100).toFixed(1)}%) when CPU-bound\n`,
  );
  emitResult({ tool: 'pprof-handler', without, with: withHandler, ratio, costPercent: (1 - ratio) * 100, cpuPerRequestUs: { without: cpuWithout * 1e6, with: cpuWith * 1e6 }, cpuRatio, samplingInterval: Number(values.interval), seconds, rounds, concurrency });
}
