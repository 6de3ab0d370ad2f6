#!/usr/bin/env node
// Writes the same heap graph with its nodes in a seeded random order: every node keeps its type,
// name, id, size and edges (in the same order), edge targets are renumbered, the root stays first
// (readers expect it at index 0), and `locations` follow their nodes. What a tool's time on the
// result costs against the original is what locality is worth to it.
//
// Usage: node bench/permute-snapshot.mjs --in FILE --out FILE [--seed N]
//
// Memory: the node and edge records as Uint32 (4 bytes a number: ~0.9 GB for the 1.1 GB bench
// file) plus three arrays of node count; the file is read in 4 MiB pieces, and the sections after
// the edges (trace data, locations, strings) are copied through, only `locations` rewritten.
import { openSync, readSync, writeSync, closeSync, renameSync, statSync, fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({ options: { in: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '12345' } } });
if (!opts.in || !opts.out) {
  process.stderr.write('usage: permute-snapshot.mjs --in FILE --out FILE [--seed N]\n');
  process.exit(2);
}
const fail = (msg) => {
  process.stderr.write(`permute-snapshot: ${msg}\n`);
  process.exit(1);
};

const CHUNK = 4 << 20;
const fd = openSync(opts.in, 'r');
const size = fstatSync(fd).size;
let buf = Buffer.alloc(CHUNK);
let bufStart = 0; // file offset of buf[0]
let bufLen = 0;
let pos = 0; // file offset of the next byte to read
function byteAt(off) {
  if (off < bufStart || off >= bufStart + bufLen) {
    bufStart = off;
    bufLen = readSync(fd, buf, 0, CHUNK, off);
    if (bufLen === 0) fail('unexpected end of file');
  }
  return buf[off - bufStart];
}
/** File offset just past the first occurrence of `text` at or after `from`. */
function find(text, from) {
  const needle = Buffer.from(text);
  for (let off = from; off + needle.length <= size; ) {
    const n = readSync(fd, buf, 0, CHUNK, off);
    bufStart = off;
    bufLen = n;
    const i = buf.subarray(0, n).indexOf(needle);
    if (i >= 0) return off + i + needle.length;
    if (n < CHUNK) break;
    off += n - needle.length;
  }
  return fail(`no ${text} in the file`);
}
/** Reads the comma-separated integers of an array that starts at `pos` into `into`; pos ends after ']'. */
function readNumbers(into, expected) {
  let n = 0;
  let v = -1;
  for (;;) {
    const c = byteAt(pos++);
    if (c >= 0x30 && c <= 0x39) v = v < 0 ? c - 0x30 : v * 10 + (c - 0x30);
    else {
      if (v >= 0) {
        if (n >= expected) fail('more numbers than the header says');
        if (v > 0xffffffff) fail(`a value beyond 2^32 (${v})`);
        into[n++] = v;
        v = -1;
      }
      if (c === 0x5d) break;
    }
  }
  if (n !== expected) fail(`${n} numbers where the header says ${expected}`);
}

// The header: `{"snapshot":{...},` up to "nodes".
const nodesAt = find('"nodes":[', 0);
const headText = (() => {
  const b = Buffer.alloc(nodesAt);
  readSync(fd, b, 0, nodesAt, 0);
  return b.toString('utf8');
})();
const snapStart = headText.indexOf('{', headText.indexOf('"snapshot"'));
let depth = 0;
let snapEnd = snapStart;
for (; snapEnd < headText.length; snapEnd++) {
  if (headText[snapEnd] === '{') depth++;
  else if (headText[snapEnd] === '}' && --depth === 0) break;
}
const header = JSON.parse(headText.slice(snapStart, snapEnd + 1));
const nf = header.meta.node_fields.length;
const ef = header.meta.edge_fields.length;
const N = header.node_count;
const E = header.edge_count;
const ecField = header.meta.node_fields.indexOf('edge_count');
const toField = header.meta.edge_fields.indexOf('to_node');
if (ecField < 0 || toField < 0) fail('meta has no edge_count or to_node');

const t0 = performance.now();
const nodes = new Uint32Array(N * nf);
pos = nodesAt;
readNumbers(nodes, N * nf);
pos = find('"edges":[', pos);
const edges = new Uint32Array(E * ef);
readNumbers(edges, E * ef);
const tailAt = pos; // just after the edges' ']'
process.stderr.write(`permute-snapshot: read ${N} nodes, ${E} edges in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

// The permutation: Fisher-Yates with xorshift32, the root (ordinal 0) kept in place.
let state = Number(opts.seed) >>> 0 || 1;
const rand = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state;
};
const oldOf = new Uint32Array(N); // new ordinal -> old
for (let i = 0; i < N; i++) oldOf[i] = i;
for (let i = N - 1; i > 1; i--) {
  const j = 1 + ((rand() * 2 ** 20 + (rand() >>> 12)) % i);
  const t = oldOf[i];
  oldOf[i] = oldOf[j];
  oldOf[j] = t;
}
const newOf = new Uint32Array(N);
for (let i = 0; i < N; i++) newOf[oldOf[i]] = i;
const firstEdge = new Uint32Array(N + 1);
for (let i = 0; i < N; i++) firstEdge[i + 1] = firstEdge[i] + nodes[i * nf + ecField];
if (firstEdge[N] !== E) fail(`edge counts add up to ${firstEdge[N]}, not ${E}`);

const tmp = `${opts.out}.partial-${process.pid}`;
const out = openSync(tmp, 'w');
let pending = '';
const put = (s) => {
  pending += s;
  if (pending.length >= 1 << 20) {
    writeSync(out, pending);
    pending = '';
  }
};
put(headText.slice(0, nodesAt));
for (let p = 0; p < N; p++) {
  const o = oldOf[p] * nf;
  let rec = p === 0 ? '' : ',';
  for (let f = 0; f < nf; f++) rec += (f === 0 ? '' : ',') + nodes[o + f];
  put(rec + '\n');
}
put('],\n"edges":[');
let firstRec = true;
for (let p = 0; p < N; p++) {
  const o = oldOf[p];
  for (let e = firstEdge[o]; e < firstEdge[o + 1]; e++) {
    let rec = firstRec ? '' : ',';
    firstRec = false;
    for (let f = 0; f < ef; f++) rec += (f === 0 ? '' : ',') + (f === toField ? newOf[edges[e * ef + f] / nf] * nf : edges[e * ef + f]);
    put(rec + '\n');
  }
}
put(']');

// The rest: copied through, except that `locations` name nodes by index (object_index, first of
// each record).
const stringsAt = find('"strings":[', tailAt) - '"strings":['.length;
const middle = Buffer.alloc(stringsAt - tailAt);
readSync(fd, middle, 0, middle.length, tailAt);
let middleText = middle.toString('utf8');
const loc = /"locations":\[([\d,\s]*)\]/.exec(middleText);
if (loc) {
  const lf = header.meta.location_fields?.length ?? 4;
  const nums = loc[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  for (let i = 0; i < nums.length; i += lf) nums[i] = newOf[nums[i] / nf] * nf;
  middleText = middleText.slice(0, loc.index) + `"locations":[${nums.join(',')}]` + middleText.slice(loc.index + loc[0].length);
}
put(middleText);
writeSync(out, pending);
pending = '';
for (let off = stringsAt; off < size; ) {
  const n = readSync(fd, buf, 0, CHUNK, off);
  writeSync(out, buf, 0, n);
  off += n;
}
closeSync(out);
closeSync(fd);
renameSync(tmp, opts.out);
const bytes = statSync(opts.out).size;
process.stderr.write(`permute-snapshot: wrote ${opts.out} (${(bytes / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
process.stdout.write(JSON.stringify({ file: opts.out, bytes, nodeCount: N, edgeCount: E, seed: Number(opts.seed) }) + '\n');
