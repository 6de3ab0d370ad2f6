#!/usr/bin/env node
// Writes a synthetic .heapsnapshot of any size whose locality is a knob: what a long-running
// service's heap looks like to a snapshot reader, where objects that refer to each other no longer
// sit next to each other in the file (V8 lists nodes in heap-address order, and years of
// allocation, promotion and compaction scatter a structure across the heap).
//
// Usage: node bench/gen-scattered-heap.mjs --nodes 10m --out FILE [--locality 0] [--seed N]
//
// Graph (in "positions", the order objects were allocated): a synthetic root, "(GC roots)", then
// clusters of 8 nodes shaped like a small record (an object with a string, a heap number, a
// nested object with a string and a closure with its context, and an elements array). The
// clusters form a binary tree through their elements arrays (depth ~log2(nodes/8)), and every
// cluster adds 12 cross edges (properties, elements, internal and weak edges) to nodes of other
// clusters: 2.5 edges a node in all, 5 of 8 nodes with edges, as in Node heaps.
// --locality L (0..1): each node keeps its allocation position with probability L and is moved to
// a random place otherwise (a seeded permutation of the moved ones), and each cross edge goes to a
// nearby cluster with probability L, to any cluster otherwise. 1 is a heap written in allocation
// order; 0 is no locality at all.
//
// Nothing is held: both passes recompute every node's position and edges from its ordinal (a
// keyed Feistel permutation with cycle walking), so memory stays flat at any size and the file is
// written in ~1 MB pieces. Same arguments, same bytes.
import { openSync, writeSync, closeSync, renameSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NODE_META } from './gen-common.mjs';

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string' },
    nodes: { type: 'string', default: '1m' },
    locality: { type: 'string', default: '0' },
    seed: { type: 'string', default: '12345' },
  },
});
if (!opts.out) {
  process.stderr.write('usage: gen-scattered-heap.mjs --nodes N[k|m] --out FILE [--locality 0..1] [--seed N]\n');
  process.exit(2);
}
/** "10m" -> 10_000_000. */
function count(s) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s);
  if (!m) throw new Error(`bad count ${s}`);
  return Math.round(Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1e6 : m[2].toLowerCase() === 'k' ? 1e3 : 1));
}
const locality = Number(opts.locality);
if (!(locality >= 0 && locality <= 1)) throw new Error('--locality must be between 0 and 1');
const seed = Number(opts.seed) >>> 0;

const C = 8; // nodes a cluster
const FIRST = 2; // positions 0 and 1: the root and (GC roots)
const K = Math.max(1, Math.round((count(opts.nodes) - FIRST) / C)); // clusters
const N = FIRST + K * C;
// Ordinals must stay below 2^30 (heapy's retainer flags) and edge targets (ordinal * 7) below 2^53.
if (N >= 2 ** 30) throw new Error('too many nodes');

const meta = NODE_META;
const NF = meta.node_fields.length;
const T = { hidden: 0, array: 1, string: 2, object: 3, closure: 5, number: 7, synthetic: 9 };
const E = { context: 0, element: 1, property: 2, internal: 3, weak: 6 };

// The string table: fixed names first, then a pool of string values.
const CLASSES = ['User', 'Session', 'Order', 'Invoice', 'Message', 'CacheEntry', 'Request', 'Response', 'Token',
  'Position', 'Node', 'Span', 'Timer', 'Socket', 'Buffer', 'Promise', 'Map', 'Set', 'Array', 'Object'];
const NESTED = ['Address', 'Profile', 'Options', 'Headers', 'Meta', 'Range'];
const PROPS = ['id', 'name', 'value', 'next', 'prev', 'parent', 'owner', 'data', 'items', 'meta', 'key', 'ref',
  'handler', 'cache', 'target', 'source', 'listener', 'context', 'state', 'config'];
const FUNCS = ['onData', 'handle', 'resolve', 'reject', 'callback', 'next', 'bound listener', 'get', 'set', 'run'];
const VALUE_POOL = 65536;
const strings = ['', '(GC roots)', 'global', '(object elements)', 'system / Context', 'map', 'elements', 'context',
  'number', 'weak_ref', ...CLASSES, ...NESTED, ...PROPS, ...FUNCS];
const S = Object.fromEntries(strings.map((s, i) => [s, i]));
const S_CLASS = strings.indexOf(CLASSES[0]);
const S_NESTED = strings.indexOf(NESTED[0]);
const S_PROP = strings.indexOf(PROPS[0]);
const S_FUNC = strings.indexOf(FUNCS[0]);
const S_VALUES = strings.length;

// 32-bit mixing (a "lowbias32" finaliser) for every per-node choice.
function mix(x) {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
const hash = (a, b) => mix((mix((a ^ seed) >>> 0) + Math.imul(b, 0x9e3779b9)) >>> 0);

// The moved positions: those whose hash falls under (1 - locality). A keyed 4-round Feistel
// network permutes [0, 2^bits); walking its cycle until it lands on a moved position again
// permutes the moved positions among themselves (and its inverse walks back).
let bits = 2;
while (2 ** bits < N) bits += 2;
const half = bits / 2;
const hmask = (1 << half) - 1;
const moveBelow = Math.floor((1 - locality) * 2 ** 32);
const moved = (q) => q >= FIRST && q < N && hash(q, 1) < moveBelow;
function feistel(x) {
  let l = Math.floor(x / 2 ** half);
  let r = x & hmask;
  for (let round = 0; round < 4; round++) {
    const t = l ^ (hash(r, 100 + round) & hmask);
    l = r;
    r = t;
  }
  return l * 2 ** half + r;
}
function feistelInverse(x) {
  let l = Math.floor(x / 2 ** half);
  let r = x & hmask;
  for (let round = 3; round >= 0; round--) {
    const t = r ^ (hash(l, 100 + round) & hmask);
    r = l;
    l = t;
  }
  return l * 2 ** half + r;
}
/** The ordinal of allocation position q. */
function ordinalOf(q) {
  if (!moved(q)) return q;
  let x = q;
  do x = feistel(x);
  while (!moved(x));
  return x;
}
/** The allocation position of ordinal o. */
function positionOf(o) {
  if (!moved(o)) return o;
  let x = o;
  do x = feistelInverse(x);
  while (!moved(x));
  return x;
}

// Edges a cluster slot has besides its cross edges, and its cross edges.
const CROSS = [4, 0, 0, 2, 2, 0, 2, 2];
const TREE = [4, 0, 0, 2, 0, 0, 1, 0];
const childClusters = (j) => Math.max(0, Math.min(2, K - (2 * j + 1)));

function edgeCountOf(q) {
  if (q === 0) return 2;
  if (q === 1) return 1;
  const j = Math.floor((q - FIRST) / C);
  const slot = (q - FIRST) % C;
  return TREE[slot] + CROSS[slot] + (slot === 4 ? childClusters(j) : 0);
}

const tmp = `${opts.out}.partial-${process.pid}`;
const fd = openSync(tmp, 'w');
let pending = '';
function out(s) {
  pending += s;
  if (pending.length >= 1 << 20) flush();
}
function flush() {
  if (pending.length) writeSync(fd, pending);
  pending = '';
}

// Pass 1: count the edges (the header states the total before either section).
let edgeCount = 0;
for (let q = 0; q < N; q++) edgeCount += edgeCountOf(q);
out(`{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${N},"edge_count":${edgeCount},"trace_function_count":0},\n"nodes":[`);

// Pass 2: nodes, in ordinal order.
for (let o = 0; o < N; o++) {
  const q = positionOf(o);
  const ec = edgeCountOf(q);
  const id = 2 * q + 1;
  let type;
  let name;
  let size;
  if (q === 0) [type, name, size] = [T.synthetic, S[''], 0];
  else if (q === 1) [type, name, size] = [T.synthetic, S['(GC roots)'], 0];
  else {
    const j = Math.floor((q - FIRST) / C);
    const h = hash(j, 2);
    switch ((q - FIRST) % C) {
      case 0: [type, name, size] = j === 0 ? [T.object, S.global, 96] : [T.object, S_CLASS + (h % CLASSES.length), 24 + 8 * (h % 6)]; break;
      case 1: [type, name, size] = [T.string, S_VALUES + (hash(q, 3) % VALUE_POOL), 16 + 8 * (h % 5)]; break;
      case 2: [type, name, size] = [T.number, S.number, 16]; break;
      case 3: [type, name, size] = [T.object, S_NESTED + (h % NESTED.length), 32]; break;
      case 4: [type, name, size] = [T.array, S['(object elements)'], 16 + 8 * (h % 16)]; break;
      case 5: [type, name, size] = [T.string, S_VALUES + (hash(q, 3) % VALUE_POOL), 24 + 8 * (h % 3)]; break;
      case 6: [type, name, size] = [T.closure, S_FUNC + (h % FUNCS.length), 32]; break;
      default: [type, name, size] = [T.hidden, S['system / Context'], 40];
    }
  }
  out(`${o === 0 ? '' : ','}${type},${name},${id},${size},${ec},0,0\n`);
}
out('],\n"edges":[');

// Pass 3: edges, in the same order.
let first = true;
const edge = (type, nameOrIndex, q) => {
  out(`${first ? '' : ','}${type},${nameOrIndex},${ordinalOf(q) * NF}\n`);
  first = false;
};
/** A random node of a cluster near j (probability `locality`) or of any cluster. */
function crossTarget(j, q, k) {
  const h = hash(q, 10 + k);
  const near = (h >>> 8) / 2 ** 24 < locality;
  const h2 = hash(q, 30 + k);
  let t = near ? j + (h2 % 33) - 16 : h2 % K;
  if (t < 0) t = 0;
  if (t >= K) t = K - 1;
  return FIRST + t * C + (h & 7);
}
for (let o = 0; o < N; o++) {
  const q = positionOf(o);
  if (q === 0) {
    edge(E.element, 1, 1);
    edge(E.element, 2, FIRST);
    continue;
  }
  if (q === 1) {
    edge(E.element, 1, FIRST);
    continue;
  }
  const j = Math.floor((q - FIRST) / C);
  const slot = (q - FIRST) % C;
  const base = FIRST + j * C;
  const prop = (k) => S_PROP + (hash(q, 50 + k) % PROPS.length);
  switch (slot) {
    case 0:
      edge(E.property, S.name, base + 1);
      edge(E.property, S.value, base + 2);
      edge(E.property, S.meta, base + 3);
      edge(E.internal, S.elements, base + 4);
      for (let k = 0; k < 4; k++) edge(E.property, prop(k), crossTarget(j, q, k));
      break;
    case 3:
      edge(E.property, S.key, base + 5);
      edge(E.property, S.handler, base + 6);
      for (let k = 0; k < 2; k++) edge(E.property, prop(k), crossTarget(j, q, k));
      break;
    case 4: {
      const kids = childClusters(j);
      for (let k = 0; k < kids; k++) edge(E.element, k, FIRST + (2 * j + 1 + k) * C);
      for (let k = 0; k < 2; k++) edge(E.element, kids + k, crossTarget(j, q, k));
      break;
    }
    case 6:
      edge(E.internal, S.context, base + 7);
      for (let k = 0; k < 2; k++) edge(E.property, prop(k), crossTarget(j, q, k));
      break;
    case 7:
      edge(E.context, prop(0), crossTarget(j, q, 0));
      edge(E.weak, S.weak_ref, crossTarget(j, q, 1));
      break;
    default:
      break;
  }
}
out('],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[],\n"strings":[');
out(strings.map((s) => JSON.stringify(s)).join(',\n'));
for (let i = 0; i < VALUE_POOL; i++) out(`,\n"v${i.toString(36)}-${(hash(i, 4) % 1e6).toString(36)}"`);
out(']}\n');
flush();
closeSync(fd);
renameSync(tmp, opts.out);
const bytes = statSync(opts.out).size;
process.stderr.write(`gen-scattered-heap: wrote ${opts.out}: ${N} nodes, ${edgeCount} edges, ${(bytes / 1e6).toFixed(0)} MB, locality ${locality}\n`);
process.stdout.write(JSON.stringify({ file: opts.out, bytes, nodeCount: N, edgeCount, locality }) + '\n');
