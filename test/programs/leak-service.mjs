// A small HTTP service, plain Node with no heapy inside, that writes three heap snapshots of
// itself: base.heapsnapshot after warm-up, target.heapsnapshot and final.heapsnapshot after two
// more rounds of the same traffic, into the directory given as argv[2].
//
// argv[3] = 'steady': every request's objects die (a bounded LRU cache, timers cleared, promises
// settled). argv[3] = 'leak': the same service, plus a per-request audit record kept in a
// module-level Map that nothing ever deletes from (an unbounded cache).
import http from 'node:http';
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
const mode = process.argv[3] ?? 'steady';
const ROUND = Number(process.argv[4] ?? 600);

class Session {
  constructor(user) {
    this.user = user;
    this.createdAt = Date.now();
    this.hits = 0;
  }
}

class AuditRecord {
  constructor(id, user, body) {
    this.id = id;
    this.user = user;
    this.at = Date.now();
    this.body = body;
  }
}

// Bounded: at most 100 sessions, the oldest evicted first (Map keeps insertion order).
const sessions = new Map();
function session(user) {
  let s = sessions.get(user);
  if (!s) {
    s = new Session(user);
    sessions.set(user, s);
    if (sessions.size > 100) sessions.delete(sessions.keys().next().value);
  }
  s.hits++;
  return s;
}

const audit = new Map();
let nextId = 1;

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
  const s = session(body.user ?? 'anon');
  // A per-request deadline that is always cleared.
  const timer = setTimeout(() => res.destroy(), 5000);
  await new Promise((r) => setImmediate(r));
  clearTimeout(timer);
  if (mode === 'leak') {
    const id = nextId++;
    audit.set(`req-${id}`, new AuditRecord(id, s.user, { path: req.url, items: body.items }));
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, hits: s.hits, user: s.user }));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    res.statusCode = 500;
    res.end(String(err));
  });
});
// Keep idle keep-alive sockets open: a snapshot blocks the process for a second or more on a busy
// machine, longer than the default 5 s timeout allows between two requests on one socket.
server.keepAliveTimeout = 0;
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

let userSeq = 0;
function request(retries = 2) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ user: `u${userSeq++ % 500}`, items: [1, 2, 3].map((n) => ({ n, name: `item-${n}` })) });
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/api/orders', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    // A reused socket the server closed meanwhile: send again on a fresh one.
    req.on('error', (err) => (retries > 0 && err.code === 'ECONNRESET' ? request(retries - 1).then(resolve, reject) : reject(err)));
    req.end(payload);
  });
}

async function round(n) {
  for (let i = 0; i < n; i += 4) await Promise.all([request(), request(), request(), request()]);
}

await writeTrio(dir, () => round(ROUND));
agent.destroy();
server.close();
