// An app with a manhole, for the manhole tests. Configuration comes from the environment:
// MANHOLE_PORT, MANHOLE_PATH, MANHOLE_HOST, MANHOLE_TOKEN, MANHOLE_SHARED=1, MANHOLE_TIMEOUT_MS.
// It serves HTTP on an ephemeral loopback port (GET / answers the counter) and ticks a counter
// every 10 ms, so a test can see that the app keeps working. It prints one JSON line with its
// addresses on stdout once the manhole listens, and logs manhole events on stderr.
import http from 'node:http';
import { startManhole } from '../../dist/src/manhole/index.js';

const counter = { value: 0 };
const state = { started: Date.now(), greeting: 'hello from the app', items: [1, 2, 3] };
setInterval(() => counter.value++, 10);
const slow = (ms, value) => new Promise((r) => setTimeout(() => r(value), ms));

const server = http.createServer((req, res) => {
  res.end(String(counter.value));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));

const env = process.env;
const manhole = await startManhole({
  port: env.MANHOLE_PORT !== undefined ? Number(env.MANHOLE_PORT) : undefined,
  path: env.MANHOLE_PATH,
  host: env.MANHOLE_HOST,
  token: env.MANHOLE_TOKEN,
  insecureNoToken: env.MANHOLE_INSECURE_NO_TOKEN === '1',
  shared: env.MANHOLE_SHARED === '1',
  commandTimeoutMs: env.MANHOLE_TIMEOUT_MS !== undefined ? Number(env.MANHOLE_TIMEOUT_MS) : undefined,
  namespace: { counter, state, slow, server },
  onLog: (msg) => process.stderr.write(`LOG ${msg}\n`),
});
process.stdout.write(JSON.stringify({ http: server.address().port, port: manhole.port, path: manhole.path }) + '\n');
process.on('SIGTERM', async () => {
  await manhole.close();
  server.close();
  process.exit(0);
});
