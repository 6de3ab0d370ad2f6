// The engine on real snapshots of real Node programs, checked against an independent
// implementation: heap-snapshot-toolkit, which packages Chrome DevTools' own snapshot code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { HeapSet } from '../src/api/index.js';
import { kindNamer, kindTable } from '../src/query/kinds.js';
import { makeSnapshot, testDir } from './helpers/snapshots.js';
import { assertMatchesDevTools, heapyClassTable, loadBoth } from './helpers/devtools.js';

/** The global object's property `name`, as a node ordinal. */
function globalProperty(s: HeapSnapshot, name: string): number {
  const root = s.rootOrdinal;
  for (let e = s.firstEdge[root]!; e < s.firstEdge[root + 1]!; e++) {
    if (s.edgeType[e] !== s.types.edgeShortcut) continue;
    const g = s.edgeTo[e]!;
    for (let f = s.firstEdge[g]!; f < s.firstEdge[g + 1]!; f++) {
      if (s.edgeNameString(f) === name && s.edgeType[f] === s.types.edgeProperty) return s.edgeTo[f]!;
    }
  }
  throw new Error(`no global property ${name}`);
}

test('per-class counts and sizes, dominators, retained sizes and distances agree with DevTools', async () => {
  const { heapy, devtools } = await loadBoth(makeSnapshot('known-heap.mjs'));
  // Node and class counts, totals, every dominator and retained size, distances by rule.
  const diff = assertMatchesDevTools(heapy, devtools, 'known heap');
  assert.equal(diff.distances, diff.weakMapDistances, 'only the WeakMap rule changes distances here');
  // The classes the program made are there, with their stores folded in as DevTools does.
  const mine = heapyClassTable(heapy, true);
  assert.equal(mine.get('Node50')?.count, 50);
  assert.equal(mine.get('Stamp')?.count, 200);
  // Retained sizes of chosen objects (holders, not owned stores) are the same numbers.
  for (const name of ['cache', 'stamps', 'service', 'holder']) {
    const ord = globalProperty(heapy, name);
    assert.equal(heapy.retainedSize[ord], devtools.retainedSizes[ord], `retained size of ${name}`);
    assert.ok(heapy.retainedSize[ord]! > heapy.nodeSelfSize[ord]!, `${name} retains more than itself`);
  }
});

test('known contents: 50 Node50 in a Map, 200 Stamps whose late fields live in property stores', async () => {
  const heapy = await loadSnapshotFile(makeSnapshot('known-heap.mjs'));
  const all = HeapSet.all(heapy);
  const rows = new Map(all.partition.rows.map((r) => [r.label, r]));
  assert.equal(rows.get('Node50')?.count, 50);
  assert.equal(rows.get('Stamp')?.count, 200);
  assert.equal(rows.get('Message')?.count, 30);
  assert.equal(rows.get('Queue')?.count, 1);
  // Twelve fields added after construction do not fit in the object: each Stamp has a store.
  assert.equal(rows.get('properties of Stamp')?.count, 200);
  assert.ok(rows.get('properties of Stamp')!.size >= 200 * 16, 'each store holds at least a header and a slot');
  // The retained size of the Map holding the Node50s covers them all.
  const cache = globalProperty(heapy, 'cache');
  const node50 = all.at(all.partition.rows.findIndex((r) => r.label === 'Node50'));
  assert.ok(heapy.retainedSize[cache]! >= node50.size);
  assert.equal(node50.dominos.size, node50.domisize);
});

test('kindNamer names every node as the kind table does, without building it', async () => {
  // A fresh load: the namer must not find a table in its cache.
  const snap = await loadSnapshotFile(makeSnapshot('known-heap.mjs'));
  const name = kindNamer(snap);
  const names = Array.from({ length: snap.nodeCount }, (_, i) => name(i));
  const table = kindTable(snap);
  let different = 0;
  for (let i = 0; i < snap.nodeCount; i++) if (names[i] !== table.names[table.kindOf[i]!]) different++;
  assert.equal(different, 0);
  assert.ok(names.includes('properties of Stamp') && names.includes('Node50'));
});

test('the two-thread parse gives the same graph as one thread, and reports errors in its half', async () => {
  const file = makeSnapshot('known-heap.mjs');
  const one = await loadSnapshotFile(file, { parallelFrom: Infinity });
  let tail = 0;
  const parse: number[] = [];
  const two = await loadSnapshotFile(file, {
    parallelFrom: 0,
    onProgress: (phase, done, total) => {
      if (phase === 'edge tail') tail = done;
      if (phase === 'parse' && total > 0) parse.push(done / total);
    },
  });
  // The worker really decoded part of the edges (about half of the numbers).
  assert.ok(tail > one.edgeCount / 4 && tail < one.edgeCount, `the worker decoded ${tail} of ${one.edgeCount} edges`);
  // Parse progress counts both threads' bytes and never goes back (engine-scale.test.ts checks
  // its steps on a file big enough for fine reports).
  for (let i = 1; i < parse.length; i++) assert.ok(parse[i]! >= parse[i - 1]!, `parse progress went back at report ${i}: ${parse[i - 1]} -> ${parse[i]}`);
  assert.equal(parse.at(-1), 1);
  assert.deepEqual(two.edgeTo, one.edgeTo);
  assert.deepEqual(two.edgeName, one.edgeName);
  assert.deepEqual(two.edgeType, one.edgeType);
  assert.deepEqual(two.retainedSize, one.retainedSize);
  // Distances and owners come from the analysis worker in the two-thread mode.
  assert.deepEqual(Array.from(two.distance), Array.from(one.distance));
  assert.deepEqual(Array.from(two.owner), Array.from(one.owner));
  assert.deepEqual(Array.from(two.dominator), Array.from(one.dominator));
  // Corrupt a byte near the end of the edges: the worker's half finds it and names the offset.
  const text = readFileSync(file);
  const edgesEnd = text.indexOf('"trace_function_infos"') > 0 ? text.lastIndexOf(']', text.indexOf('"trace_function_infos"')) : -1;
  assert.ok(edgesEnd > 0);
  const bad = Buffer.from(text);
  const at = edgesEnd - 3;
  bad[at] = 0x78; // 'x'
  const badFile = join(testDir(), 'bad-tail.heapsnapshot');
  writeFileSync(badFile, bad);
  await assert.rejects(loadSnapshotFile(badFile, { parallelFrom: 0 }), (err: Error) => {
    assert.match(err.message, new RegExp(`unexpected byte 'x' in "edges" \\(at byte ${at}\\)`));
    return true;
  });
});

test('the two-thread parse falls back to one thread when the edges are not one record a line', async () => {
  const file = makeSnapshot('known-heap.mjs');
  const one = await loadSnapshotFile(file, { parallelFrom: Infinity });
  const text = readFileSync(file, 'latin1');
  const edgesStart = text.indexOf('"edges":[');
  const edgesEnd = text.indexOf(']', edgesStart);
  const reflow = (from: number) => text.slice(0, from) + text.slice(from, edgesEnd).replaceAll('\n,', ',\n') + text.slice(edgesEnd);
  const same = (s: HeapSnapshot) => {
    assert.deepEqual(s.edgeTo, one.edgeTo);
    assert.deepEqual(s.edgeName, one.edgeName);
    assert.deepEqual(s.retainedSize, one.retainedSize);
  };
  // The same JSON with ",\n" between records: the worker sees it at the split and gives up.
  const all = join(testDir(), 'reflowed.heapsnapshot');
  writeFileSync(all, reflow(edgesStart), 'latin1');
  let tail = 0;
  same(await loadSnapshotFile(all, { parallelFrom: 0, onProgress: (phase, done) => void (phase === 'edge tail' && (tail = done)) }));
  assert.equal(tail, 0, 'one thread parsed the edges');
  // Reflowed only near the end: the split looks right, the worker finds out in its first block
  // from the back, and the file is read again on one thread.
  const last = join(testDir(), 'reflowed-tail.heapsnapshot');
  const from = edgesEnd - Math.floor((edgesEnd - edgesStart) / 8);
  assert.ok(edgesEnd - from > 256 * 1024, 'the worker\'s last block lies inside the reflowed part');
  writeFileSync(last, reflow(from), 'latin1');
  let restarts = 0;
  let lastDone = 0;
  const s = await loadSnapshotFile(last, {
    parallelFrom: 0,
    onProgress: (phase, done) => {
      if (phase !== 'parse') return;
      if (done < lastDone) restarts++;
      lastDone = done;
    },
  });
  same(s);
  assert.equal(restarts, 1, 'read again from the start once');
});
