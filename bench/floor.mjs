#!/usr/bin/env node
// The least any graph engine pays on this machine for a snapshot, before it parses or computes:
// Node's start-up plus the first touch of the typed arrays that hold the graph and its derived
// data at heapy's layout (nodes 18 B, edges 9 B, reverse graph, distances, dominators, retained
// sizes, owners, and the dominator pass's temporaries). Page faults are slow on the VMs this bench
// runs on, so for a small snapshot this floor is most of the time a tool takes.
// Usage: node bench/floor.mjs FILE   -> prints a JSON line {nodes, edges, arrayMB, touchMs, totalMs}
import { openSync, readSync, closeSync } from 'node:fs';

const file = process.argv[2];
const fd = openSync(file, 'r');
const head = Buffer.alloc(64 * 1024);
const n = readSync(fd, head, 0, head.length, 0);
closeSync(fd);
const text = head.subarray(0, n).toString('latin1');
const N = Number(/"node_count"\s*:\s*(\d+)/.exec(text)?.[1]);
const E = Number(/"edge_count"\s*:\s*(\d+)/.exec(text)?.[1]);
if (!Number.isFinite(N) || !Number.isFinite(E)) {
  process.stderr.write(`floor: ${file}: no node_count/edge_count in the header\n`);
  process.exit(4);
}
const t0 = performance.now();
const keep = [];
let bytes = 0;
const touch = (a, stride) => {
  for (let i = 0; i < a.length; i += stride) a[i] = 1;
  keep.push(a);
  bytes += a.byteLength;
};
const u8 = (len) => touch(new Uint8Array(len), 4096);
const u32 = (len) => touch(new Uint32Array(len), 1024);
u8(N); u32(N); u32(N); u32(N); u32(N + 1); // node type, name, id, self size, first edge
u8(E); u32(E); u32(E); // edge type, name, target
u32(N + 1); u32(E); // reverse graph
u32(N); u32(N); u32(N + 1); u32(2 * (N + 1)); // distance, owner, dominator, retained size
u32(N); u32(N + 1); u32(N + 1); u8(N); // BFS queue, DFS numbers, vertex order, reachable flags
const t1 = performance.now();
process.stdout.write(JSON.stringify({ nodes: N, edges: E, arrayMB: Math.round(bytes / 1e5) / 10, touchMs: Math.round(t1 - t0), totalMs: Math.round(t1) }) + '\n');
