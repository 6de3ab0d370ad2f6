#!/usr/bin/env node
// What heapy/pprof's heapProfileHandler costs a service: the throughput (requests/s) of a small
// HTTP service without the handler, and with it mounted (V8's sampling heap profiler on at the
// handler's interval, the profile scraped once a round as Pyroscope or Parca would), in the same
// run, the two services side by side under the same load in each round, so that the machine's
// other work hits both alike. Prints both rates, the ratio
// and the cost in percent; a BENCH_RESULT line for scripts.
// Usage: node bench/pprof-handler-bench.mjs [--seconds 3] [--rounds 7] [--concurrency 16] [--interval 524288] [--control]
// --control runs the service without the handler on both sides: the ratio it prints is the noise
// floor of this machine. --session-only mounts no handler but connects an inspector session, to
// tell the session's cost from the sampler's.
// (the service is this file run with --serve with|without; it needs `npm run build` first.)
import { spawn } from 'node:child_process';
import { createServer, Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { emitResult } from './driver-common.mjs';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '16' },
    interval: { type: 'string', default: String(512 * 1024) },
    control: { type: 'boolean', default: false },
    'session-only': { type: 'boolean', default: false },
  },
});

if (values.serve) {
  // The service: each request builds a page of 50 order objects and answers it as JSON (~6 KB),
  // about what a small API endpoint allocates (~60 KB a request).
  let pprof;
  if (values.serve === 'session') {
    const { Session } = await import('node:inspector');
    const session = new Session();
    session.connect();
    globalThis.benchSession = session;
  } else if (values.serve === 'with') {
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
 * that whatever else the machine runs meanwhile slows both alike. Returns each one's requests/s;
 * the profile is scraped once, midway, as a scraper would. (CPU time per request, read from /proc,
 * was tried and dropped: with the same service on both sides it differed by 18%.)
 */
async function measurePair(seconds, concurrency, swap) {
  // Which service starts first and is loaded first alternates by round: with the same service on
  // both sides (--control), the second of a fixed order came out ~8% slower.
  const order = swap ? ['with', 'without'] : ['without', 'with'];
  const services = {};
  const other = values.control ? 'without' : values['session-only'] ? 'session' : 'with';
  for (const side of order) services[side] = await startService(side === 'with' ? other : 'without');
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
    await Promise.all(order.map((side) => load(side, warm)));
    const count = {};
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let profileBytes = 0;
    const scrape = values.control || values['session-only']
      ? Promise.resolve()
      : new Promise((r) => setTimeout(r, (seconds * 1000) / 2))
          .then(() => get(new Agent(), services.with.port, '/debug/pprof/heap'))
          .then((b) => (profileBytes = b.length));
    await Promise.all([...order.map((side) => load(side, end, count)), scrape]);
    const wall = (performance.now() - t0) / 1000;
    const out = { profileBytes };
    for (const mode of ['without', 'with']) out[mode] = { rate: count[mode] / wall };
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
  let profileBytes = 0;
  for (let r = 0; r < rounds; r++) {
    const m = await measurePair(seconds, concurrency, r % 2 === 1);
    profileBytes = m.profileBytes;
    for (const mode of ['without', 'with']) {
      rates[mode].push(m[mode].rate);
    }
    process.stdout.write(
      `round ${r + 1}: without ${m.without.rate.toFixed(0).padStart(6)} req/s, ${values.control ? 'without (control)' : values['session-only'] ? 'session only' : 'with'} ${m.with.rate.toFixed(0).padStart(6)} req/s, ratio ${(m.with.rate / m.without.rate).toFixed(3)}\n`,
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without = median(rates.without);
  const withHandler = median(rates.with);
  // The ratio is the median of each round's pair (run side by side), which a busy machine's swings
  // between rounds disturb less than the ratio of the two medians.
  const ratio = median(rates.with.map((w, i) => w / rates.without[i]));
  process.stdout.write(
    `\nmedian of ${rounds} rounds of ${seconds} s, both services at once, ${concurrency} requests in flight to each:\n` +
      `  without handler            ${without.toFixed(0).padStart(7)} req/s\n` +
      `  ${values.control ? 'control, no handler      ' : values['session-only'] ? 'session, no sampling     ' : 'with handler, sampling on'}  ${withHandler.toFixed(0).padStart(7)} req/s (every ${Number(values.interval) / 1024} KiB; one scrape a round, ${profileBytes} bytes gzipped)\n` +
      `  ratio with/without         ${ratio.toFixed(3)}  (cost ${((1 - ratio) * 100).toFixed(1)}%; median of the rounds' ratios)\n`,
  );
  emitResult({ tool: 'pprof-handler', without, with: withHandler, ratio, costPercent: (1 - ratio) * 100, control: values.control, sessionOnly: values['session-only'], samplingInterval: Number(values.interval), seconds, rounds, concurrency });
}
