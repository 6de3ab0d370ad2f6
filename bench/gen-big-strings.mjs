#!/usr/bin/env node
// Writes a valid, small-graph .heapsnapshot whose "strings" section is larger than 512 MiB, the
// most characters one V8 string can hold in Node 20 (2^29 - 24). A reader that gathers the
// strings section, or the whole file, into one JS string cannot load it.
//
// Usage: node bench/gen-big-strings.mjs --out FILE [--count 600000] [--length 1000]
//
// Graph: a synthetic root -> one "BigStrings" object -> `count` string nodes (element edges), each
// string node naming its own distinct string of about `length` characters. The file is streamed
// out in ~1 MB writes and never held whole.
import { openSync, writeSync, closeSync, renameSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NODE_META } from './gen-common.mjs';

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string' },
    count: { type: 'string', default: '600000' },
    length: { type: 'string', default: '1000' },
  },
});
if (!opts.out) {
  process.stderr.write('usage: gen-big-strings.mjs --out FILE [--count N] [--length N]\n');
  process.exit(2);
}
const count = Number(opts.count);
const length = Number(opts.length);

const meta = NODE_META;
const NODE_FIELDS = meta.node_fields.length;
const T_STRING = 2;
const T_OBJECT = 3;
const T_SYNTHETIC = 9;
const E_ELEMENT = 1;
const E_PROPERTY = 2;

// String table: 0 "", 1 "BigStrings", 2 "holder", then one distinct string per string node.
const FIRST_BIG = 3;
const nodeCount = 2 + count;
const edgeCount = 1 + count;

const tmp = `${opts.out}.partial-${process.pid}`;
const fd = openSync(tmp, 'w');
let pending = [];
let pendingLen = 0;
function out(s) {
  pending.push(s);
  pendingLen += s.length;
  if (pendingLen >= 1 << 20) flush();
}
function flush() {
  if (pending.length) writeSync(fd, pending.join(''));
  pending = [];
  pendingLen = 0;
}

out(`{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${nodeCount},"edge_count":${edgeCount},"trace_function_count":0},\n`);
// Nodes: root, holder, then the strings. V8 ids are odd for heap objects and step by 2.
out('"nodes":[');
out(`${T_SYNTHETIC},0,1,0,1,0,0`);
out(`\n,${T_OBJECT},1,3,${16 + 8 * count},${count},0,0`);
for (let i = 0; i < count; i++) {
  // Self size: a sequential one-byte string's header plus its characters, rounded to 8.
  const self = 16 + Math.ceil((length + 8) / 8) * 8;
  out(`\n,${T_STRING},${FIRST_BIG + i},${5 + 2 * i},${self},0,0,0`);
}
out('],\n"edges":[');
out(`${E_PROPERTY},2,${1 * NODE_FIELDS}`);
for (let i = 0; i < count; i++) out(`\n,${E_ELEMENT},${i},${(2 + i) * NODE_FIELDS}`);
out('],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[],\n"strings":["","BigStrings","holder"');

// Distinct strings from a xorshift generator over 64 JSON-safe characters.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
let state = 2463534242;
let stringChars = 2 + 10 + 6;
const chars = new Array(length);
for (let i = 0; i < count; i++) {
  const prefix = `s${i}:`;
  for (let k = 0; k < length - prefix.length; k++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    chars[k] = ALPHABET[state & 63];
  }
  chars.length = length - prefix.length;
  const s = prefix + chars.join('');
  stringChars += s.length;
  out(`,\n"${s}"`);
}
out(']}\n');
flush();
closeSync(fd);
renameSync(tmp, opts.out);
const bytes = statSync(opts.out).size;
process.stderr.write(`gen-big-strings: wrote ${opts.out}: ${(bytes / 2 ** 20).toFixed(0)} MiB, strings section ${(stringChars / 2 ** 20).toFixed(0)} MiB of characters in ${count + 3} strings\n`);
process.stdout.write(JSON.stringify({ file: opts.out, bytes, nodeCount, edgeCount, stringChars }) + '\n');
