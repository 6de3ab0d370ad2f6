#!/usr/bin/env node
// Builds a service-like Node heap (users, sessions, message queues, caches, closures, promises,
// Buffers, dictionary-mode objects) until a heap snapshot of it will be about --target-mb MB, then
// writes that snapshot with v8.writeHeapSnapshot.
//
// Usage: node --max-old-space-size=8192 bench/gen-service-heap.mjs --target-mb 200 --out FILE [--seed N]
//
// How the size is hit: the heap is built in "tenants" (one user + session + messages + ...), all of
// the same shape. We write a baseline snapshot with no tenants and a calibration snapshot with
// CALIBRATION_TENANTS of them; the difference gives bytes per tenant at that scale. Snapshot text
// grows a little faster than the object count because node ids and edge targets get more digits
// (to_node reaches 9 digits at 15 M nodes against 7 at 250 k), so the estimate is corrected by the
// digits each tenant's numbers will have at the target size (see digitCorrection()).
import { writeHeapSnapshot } from 'node:v8';
import { statSync, unlinkSync, renameSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dirname, join, basename } from 'node:path';

const { values: opts } = parseArgs({
  options: {
    'target-mb': { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '12345' },
    quiet: { type: 'boolean', default: false },
  },
});
if (!opts['target-mb'] || !opts.out) {
  process.stderr.write('usage: gen-service-heap.mjs --target-mb N --out FILE [--seed N]\n');
  process.exit(2);
}
const targetBytes = Number(opts['target-mb']) * 1e6;
const outFile = opts.out;
const log = opts.quiet ? () => {} : (msg) => process.stderr.write(`gen-service-heap: ${msg}\n`);

// Deterministic xorshift32 so that two runs with the same seed build the same shapes.
let rngState = Number(opts.seed) >>> 0 || 1;
function rand() {
  rngState ^= rngState << 13;
  rngState >>>= 0;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  rngState >>>= 0;
  return rngState / 4294967296;
}
const pick = (arr) => arr[Math.floor(rand() * arr.length)];

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango', 'uniform',
  'victor', 'whiskey', 'xray', 'yankee', 'zulu', 'order', 'invoice', 'payment', 'refund', 'shipment'];
const CITIES = ['Lisbon', 'Oslo', 'Quito', 'Accra', 'Hanoi', 'Perth', 'Lima', 'Riga', 'Cork', 'Pune'];
const ROLES = [['reader'], ['reader', 'writer'], ['admin'], ['reader', 'billing']];
const ROUTES = ['/api/orders', '/api/users/:id', '/api/cart', '/api/search', '/healthz', '/api/invoices'];

function sentence(n) {
  let s = pick(WORDS);
  for (let i = 1; i < n; i++) s += ' ' + pick(WORDS);
  return s;
}

class Address {
  constructor(i) {
    this.street = `${1 + (i % 400)} ${pick(WORDS)} street`;
    this.city = pick(CITIES);
    this.zip = 10000 + (i % 89999);
  }
}

class User {
  constructor(i) {
    this.id = i;
    this.name = `user-${i}`;
    this.email = `user${i}@example.com`;
    this.createdAt = 1.7e12 + Math.floor(rand() * 1e10);
    this.score = rand() * 100; // a heap number, not a Smi
    this.roles = pick(ROLES); // shared arrays, as a real app's constants would be
    this.profile = { bio: sentence(6), tags: [pick(WORDS), pick(WORDS)], address: new Address(i) };
  }
}

const KINDS = ['chat', 'event', 'notice', 'receipt'];
const CHANNELS = ['web', 'ios', 'android', 'email', 'sms'];
const STATES = ['queued', 'sent', 'delivered', 'read'];

class Message {
  constructor(i, j, user, session, prev) {
    this.id = `${i}:${j}`;
    this.from = user.name;
    this.body = sentence(4 + (j % 8));
    this.ts = 1.7e12 + j * 1000;
    this.headers = { 'content-type': 'application/json', 'x-request-id': `req-${i}-${j}` };
    // References to shared and neighbouring objects: edges without new nodes, as a real app's
    // object graph is dense in pointers (the reference 1.1 GB heap has ~3.2 edges a node).
    this.kind = pick(KINDS);
    this.channel = pick(CHANNELS);
    this.state = pick(STATES);
    this.user = user;
    this.session = session;
    this.prev = prev;
  }
}

class Session {
  constructor(i, user) {
    this.id = `sess-${i.toString(36)}-${Math.floor(rand() * 1e9).toString(36)}`;
    this.user = user;
    this.startedAt = 1.7e12 + i;
    this.lastSeen = this.startedAt + 5000;
    this.data = new Map([['cart', { items: [] }], ['locale', 'en'], ['visits', i % 50]]);
    this.messages = [];
    // A closure per session capturing its context, like an event handler would.
    const self = this;
    this.onClose = function onSessionClose(reason) {
      return `${self.id} closed: ${reason}`;
    };
  }
}

class RequestLogEntry {
  constructor(i, k, user, session) {
    this.route = pick(ROUTES);
    this.status = k % 10 === 0 ? 500 : 200;
    this.durationMs = rand() * 250;
    this.userId = i;
    this.user = user;
    this.session = session;
  }
}

// Everything the "service" keeps alive hangs off this one object, reachable from the global.
const service = {
  startedAt: Date.now(),
  users: [],
  sessions: new Map(),
  cache: new Map(),
  byEmail: Object.create(null), // a big dictionary-mode object
  requestLog: [],
  recent: [],
  messagesById: new Map(),
  pending: [],
  settled: [],
  buffers: [],
  handlers: new Set(),
  tenants: 0,
};
globalThis.__benchService = service;

function addTenant(i) {
  const user = new User(i);
  service.users.push(user);
  service.byEmail[user.email] = user;

  const session = new Session(i, user);
  user.session = session;
  const nMsgs = 4 + (i % 9);
  let prev = null;
  for (let j = 0; j < nMsgs; j++) {
    prev = new Message(i, j, user, session, prev);
    session.messages.push(prev);
    service.recent.push(prev);
    service.messagesById.set(prev.id, prev);
  }
  user.lastMessage = prev;
  // A few links to earlier users (a follower graph).
  if (i > 0) user.follows = [service.users[i >> 1], service.users[(i * 7) % i], service.users[i - 1], service.users[(i * 13) % i]];
  // Fields added after construction: a second hidden class transition per session.
  if (i % 3 === 0) {
    session.ip = `10.${i % 256}.${(i >> 8) % 256}.${(i >> 16) % 256}`;
    session.userAgent = 'Mozilla/5.0 (bench) Node';
  }
  // Dictionary-mode objects via delete.
  const meta = { a: i, b: `tag-${i % 97}`, c: rand(), d: true, e: null };
  delete meta.b;
  if (i % 2 === 0) delete meta.d;
  session.meta = meta;
  service.sessions.set(session.id, session);

  // A cache entry: nested objects, an array of numbers.
  service.cache.set(`user:${i}`, {
    user,
    computed: { total: rand() * 1000, lines: [rand(), rand(), rand()], at: Date.now() },
    expires: Date.now() + 60000,
  });

  // Request log: small objects in a big array.
  for (let k = 0; k < 3; k++) service.requestLog.push(new RequestLogEntry(i, k, user, session));

  // Promises: some pending with a resolver closure kept around, some settled with values.
  if (i % 4 === 0) {
    let resolveIt;
    const p = new Promise((resolve) => {
      resolveIt = resolve;
    });
    service.pending.push({ promise: p, resolve: resolveIt, sessionId: session.id });
  } else if (i % 4 === 1) {
    service.settled.push(Promise.resolve({ ok: true, id: i }));
  }

  // Buffers: small ones (slices of Node's pool) and some larger own-backed ones.
  if (i % 5 === 0) service.buffers.push(Buffer.from(`payload-${i}-${sentence(3)}`));
  if (i % 50 === 0) service.buffers.push(Buffer.alloc(4096 + (i % 1024)));

  // Per-tenant handler closures capturing different scopes.
  if (i % 10 === 0) {
    const counter = { n: 0 };
    service.handlers.add(() => ++counter.n + session.messages.length);
  }
  service.tenants++;
}

function snapshotSize(file) {
  const written = writeHeapSnapshot(file);
  const size = statSync(written).size;
  unlinkSync(written);
  return size;
}

function digits(n) {
  return n < 10 ? 1 : Math.floor(Math.log10(n)) + 1;
}

// Numbers in the snapshot that grow with the heap: each node's id (V8 ids step by 2) and each
// edge's to_node (node ordinal * 7 fields). Returns the extra characters per tenant at `tenants`
// compared with the calibration scale.
function digitCorrection(nodesPerTenant, edgesPerTenant, baseNodes, calTenants, tenants) {
  const nodesAt = (t) => baseNodes + nodesPerTenant * t;
  const idDigits = (t) => digits(nodesAt(t) * 2);
  const toDigits = (t) => digits(nodesAt(t) * 7);
  // Average over the tenants being built, approximated by the value at 3/4 of the way.
  const avgAt = (t) => Math.max(1, Math.floor(t * 0.75));
  return nodesPerTenant * (idDigits(avgAt(tenants)) - idDigits(avgAt(calTenants)))
    + edgesPerTenant * (toDigits(avgAt(tenants)) - toDigits(avgAt(calTenants)));
}

const CALIBRATION_TENANTS = 1000;
const tmpBase = join(dirname(outFile), `.calib-${process.pid}-${basename(outFile)}`);
const t0 = Date.now();
const baseline = snapshotSize(`${tmpBase}.0.heapsnapshot`);
for (let i = 0; i < CALIBRATION_TENANTS; i++) addTenant(i);
const calibrated = snapshotSize(`${tmpBase}.1.heapsnapshot`);
const perTenant = (calibrated - baseline) / CALIBRATION_TENANTS;
// Node/edge counts per tenant for the digit correction, measured once on Node 20.20 with heapy
// (25 MB -> 200 MB file: +2.30 M nodes, +7.06 M edges for +12495 tenants: about 184 and 565),
// and about 75 file bytes a node.
const NODES_PER_TENANT = 184;
const EDGES_PER_TENANT = 565;
const baseNodes = baseline / 75;
let tenants = Math.max(CALIBRATION_TENANTS, Math.round((targetBytes - baseline) / perTenant));
for (let iter = 0; iter < 4; iter++) {
  const extra = digitCorrection(NODES_PER_TENANT, EDGES_PER_TENANT, baseNodes, CALIBRATION_TENANTS, tenants);
  tenants = Math.max(CALIBRATION_TENANTS, Math.round((targetBytes - baseline) / (perTenant + extra)));
}
log(`baseline ${(baseline / 1e6).toFixed(1)} MB, ${perTenant.toFixed(0)} B/tenant at ${CALIBRATION_TENANTS}; building ${tenants} tenants`);

for (let i = CALIBRATION_TENANTS; i < tenants; i++) {
  addTenant(i);
  if (i % 100000 === 0 && i > 0) log(`${i} tenants, heapUsed ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
}
const tBuilt = Date.now();
// Write to a temporary name, then rename, so a killed run never leaves a truncated file behind
// that the cache would later take for a finished one.
const tmpOut = `${outFile}.partial-${process.pid}`;
const written = writeHeapSnapshot(tmpOut);
renameSync(written, outFile);
const size = statSync(outFile).size;
const tDone = Date.now();
log(`wrote ${outFile}: ${(size / 1e6).toFixed(1)} MB (target ${(targetBytes / 1e6).toFixed(0)} MB, ${((size / targetBytes - 1) * 100).toFixed(1)}%), build ${((tBuilt - t0) / 1000).toFixed(1)} s, write ${((tDone - tBuilt) / 1000).toFixed(1)} s`);
process.stdout.write(JSON.stringify({ file: outFile, bytes: size, targetBytes, tenants, seed: Number(opts.seed) }) + '\n');
