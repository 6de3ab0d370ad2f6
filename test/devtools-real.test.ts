// heapy beside DevTools' own engine (heap-snapshot-toolkit) on heaps of real third-party npm
// programs, installed as devDependencies: the TypeScript compiler after a type check, and eslint
// after linting its own sources. Everything docs/definitions.md says the two agree on is checked
// node for node; distances differ only by DevTools' WeakMap rule, whose size is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as heapy from '../src/index.js';
import { assertMatchesDevTools, loadBoth } from './helpers/devtools.js';
import { cliPath, makeSnapshot, testDir } from './helpers/snapshots.js';
import { SnapshotBuilder } from './helpers/builder.js';

test('a WeakMap value: heapy takes the nearer of key and table, DevTools the farther', async () => {
  // G holds the WeakMap W (table T, distance 3) and, four steps down, its key K (distance 5).
  const b = new SnapshotBuilder()
    .node('G', 'object', 'Global', 1)
    .node('W', 'object', 'WeakMap', 24)
    .node('T', 'array', 'system / EphemeronHashTable', 64)
    .node('A', 'object', 'A', 8)
    .node('B', 'object', 'B', 8)
    .node('C', 'object', 'C', 8)
    .node('K', 'object', 'Key', 16)
    .node('V', 'object', 'Value', 40)
    .node('X', 'object', 'OnlyFromValue', 100);
  const pair = `part of key (Key @${b.id('K')}) -> value (Value @${b.id('V')}) pair in WeakMap (table @${b.id('T')})`;
  b.edge('root', 'G', 'shortcut', 'global')
    .edge('G', 'W', 'property', 'map')
    .edge('W', 'T', 'internal', 'table')
    .edge('G', 'A', 'property', 'a')
    .edge('A', 'B', 'property', 'b')
    .edge('B', 'C', 'property', 'c')
    .edge('C', 'K', 'property', 'key')
    .edge('T', 'K', 'weak', '1')
    .edge('T', 'V', 'internal', `2 / ${pair}`)
    .edge('K', 'V', 'internal', `1 / ${pair}`)
    .edge('V', 'X', 'property', 'x');
  const file = join(testDir(), 'weakmap.heapsnapshot');
  writeFileSync(file, b.toJSON());
  const { heapy: snap, devtools } = await loadBoth(file);
  const o = b.ordinals();
  const at = (k: string) => o.get(k)!;
  assert.deepEqual([snap.distance[at('T')], snap.distance[at('K')]], [3, 5]);
  assert.deepEqual([snap.distance[at('V')], snap.distance[at('X')]], [4, 5], 'heapy: one more than the table');
  assert.deepEqual([devtools.nodeDistances[at('V')], devtools.nodeDistances[at('X')]], [6, 7], 'DevTools: one more than the key');
  // The key holds the value in both tools' dominator trees.
  assert.equal(snap.dominator[at('V')], at('K'));
  const diff = assertMatchesDevTools(snap, devtools, 'weakmap graph');
  assert.deepEqual([diff.distances, diff.weakMapDistances], [2, 2]);
});

test('the TypeScript compiler’s heap: heapy and DevTools agree on every node', async () => {
  const { heapy: snap, devtools } = await loadBoth(makeSnapshot('typescript-heap.mjs'));
  assert.ok(snap.nodeCount > 100_000, `nodes: ${snap.nodeCount}`);
  const diff = assertMatchesDevTools(snap, devtools, 'typescript');
  assert.ok(diff.retainedCompared > snap.nodeCount / 2, `retained sizes compared: ${diff.retainedCompared}`);
  assert.equal(diff.distances, diff.weakMapDistances, 'distances differ by the WeakMap rule alone');
});

test('eslint’s heap: the same, and DevTools’ WeakMap rule moves thousands of distances', async () => {
  const { heapy: snap, devtools } = await loadBoth(makeSnapshot('eslint-heap.mjs'));
  const diff = assertMatchesDevTools(snap, devtools, 'eslint');
  // 3,234 of 350,931 nodes when measured (Node 20.20, eslint 9): the values of WeakMaps, and what
  // only they lead to, are farther from the roots in DevTools (docs/definitions.md, "Distances").
  assert.equal(diff.distances, diff.weakMapDistances, 'distances differ by the WeakMap rule alone');
  assert.ok(diff.distances > 500 && diff.distances < snap.nodeCount / 20, `distances that differ: ${diff.distances}`);
});

test('summary and summary --retained print one total: the reachable objects', () => {
  const file = makeSnapshot('eslint-heap.mjs');
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cliPath, 'summary', ...args, file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const partition = JSON.parse(run('--json')) as { count: number; size: number; nodes: number };
  const retained = JSON.parse(run('--retained', '--json')) as { count: number; total: number };
  assert.deepEqual({ count: retained.count, size: retained.total }, { count: partition.count, size: partition.size });
  // The synthetic roots (and anything only weakly held) are in the file but not in the total.
  assert.ok(partition.count < partition.nodes, `${partition.count} of ${partition.nodes} nodes`);
  const head = (text: string) => /(\d+) objects[.,].*Total size = (\d+) bytes/.exec(text.split('\n')[0]!)?.slice(1);
  assert.deepEqual(head(run('--retained')), [String(partition.count), String(partition.size)]);
  assert.deepEqual(head(run()), [String(partition.count), String(partition.size)]);
});

test('the package entry exports the sentinels the snapshot fields use', async () => {
  const snap = await heapy.loadSnapshotFile(makeSnapshot('eslint-heap.mjs'));
  assert.equal(snap.dominator[snap.rootOrdinal], heapy.NO_NODE, 'the root has no dominator');
  let owned = 0;
  let userRoots = 0;
  for (let i = 0; i < snap.nodeCount; i++) {
    if (snap.owner[i] !== heapy.NO_NODE) owned++;
    if (snap.distance[i] === 1) userRoots++;
  }
  assert.ok(owned > 0 && owned < snap.nodeCount, 'owner is NO_NODE for objects that are not owned stores');
  assert.ok(userRoots > 0);
  assert.ok(snap.distance[snap.rootOrdinal]! >= heapy.SYSTEM_DISTANCE_BASE, 'with user roots, the root is counted as a system object');
  assert.equal(heapy.NO_DISTANCE, 0xffffffff);
  assert.equal(heapy.NO_NODE, 0xffffffff);
});
