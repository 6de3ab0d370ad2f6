// The light analysis level (graph.ts, AnalysisLevel), which `heapy heap` uses: on real snapshots of
// real Node programs, loaded once fully and once lightly, every partition table `heapy heap --by`
// prints is the same text, no table needs the dominator tree, and the dominator tree a light
// snapshot computes on first read equals the full analysis's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotFile, loadSnapshotStream, type HeapSnapshot, type LoadOptions } from '../src/snapshot/index.js';
import { HeapSet } from '../src/api/index.js';
import { cliPath, makeSnapshot, repoRoot } from './helpers/snapshots.js';

/** Every value `heapy heap --by` takes (its usage text), and a product. */
const BY = ['kind', 'type', 'size', 'referrers', 'via', 'id', 'module', 'location', 'producer', 'unity', 'kind&size', 'type&referrers'];

/** What `heapy heap` prints for `--by by --top 0`, as text and as the JSON rows. */
function tables(snap: HeapSnapshot, by: string): { text: string; json: string } {
  const set = HeapSet.all(snap).by(by);
  return { text: set.render({ limit: Infinity }), json: JSON.stringify(set.partition) };
}

async function compare(path: string, options: LoadOptions, what: string): Promise<void> {
  const full = await loadSnapshotFile(path, options);
  const light = await loadSnapshotFile(path, { ...options, level: 'light' });
  assert.ok(full.hasDominators, `${what}: a full analysis has its dominators`);
  assert.equal(light.hasDominators, false, `${what}: a light analysis has none yet`);
  // What the light analysis computes is the full one's, array for array.
  assert.deepEqual(light.distance, full.distance, `${what}: distances`);
  assert.deepEqual(light.owner, full.owner, `${what}: owners`);
  assert.deepEqual(light.firstRetainer, full.firstRetainer, `${what}: retainer ranges`);
  assert.deepEqual(light.retainers, full.retainers, `${what}: retainer entries`);
  for (const by of BY) {
    const a = tables(full, by);
    const b = tables(light, by);
    assert.ok(a.text.split('\n').length > 2, `${what} --by ${by}: a table with rows`);
    assert.equal(b.text, a.text, `${what} --by ${by}: the same table`);
    assert.equal(b.json, a.json, `${what} --by ${by}: the same JSON`);
  }
  // None of those tables read the dominator tree: the light snapshot still has none.
  assert.equal(light.hasDominators, false, `${what}: no table needed the dominators`);
  // Read on demand, they are the full analysis's.
  assert.deepEqual(light.dominator, full.dominator, `${what}: dominators on demand`);
  assert.ok(light.hasDominators, `${what}: kept once computed`);
  assert.deepEqual(light.retainedSize, full.retainedSize, `${what}: retained sizes on demand`);
  // Computing them left the reverse graph as it was (the pass renumbers its entries and back).
  assert.deepEqual(light.retainers, full.retainers, `${what}: retainer entries after the dominator pass`);
  const root = light.rootOrdinal;
  assert.ok(light.retainedSize[root]! > 0 && light.retainedSize[root]! <= light.totalSize, `${what}: the root retains the heap`);
}

test('a light analysis prints the same partition tables and computes the same dominators on demand', async () => {
  const path = makeSnapshot('known-heap.mjs');
  await compare(path, {}, 'known heap, one thread');
  // parallelFrom 0: shared arrays and the edge worker, as for big files (and the analysis worker for the full one).
  await compare(path, { parallelFrom: 0 }, 'known heap, two threads');
});

test('a light analysis of a streamed snapshot (as `heapy heap` over CDP) matches the full one', async () => {
  const path = makeSnapshot('collection-tables.mjs');
  const full = await loadSnapshotStream(createReadStream(path), path);
  const light = await loadSnapshotStream(createReadStream(path), path, { level: 'light' });
  for (const by of BY) assert.deepEqual(tables(light, by), tables(full, by), `--by ${by}`);
  assert.equal(light.hasDominators, false);
  assert.deepEqual(light.dominator, full.dominator);
  assert.deepEqual(light.retainedSize, full.retainedSize);
});

test('retained sizes through the API on a light snapshot are computed, not read from nothing', async () => {
  const path = makeSnapshot('known-heap.mjs');
  // The biggest kind's objects (row 0 of the default table).
  const full = HeapSet.all(await loadSnapshotFile(path)).at(0);
  const light = HeapSet.all(await loadSnapshotFile(path, { level: 'light' })).at(0);
  // dominos: what the set's objects keep alive together; needs the dominator tree.
  assert.deepEqual(Array.from(light.dominos.ordinals), Array.from(full.dominos.ordinals));
  assert.equal(light.domisize, full.domisize);
  assert.ok(light.domisize >= light.size && light.domisize > 0);
});

test('heapy heap loads the set API only once attached: a pid that is gone costs 40 modules at most', async () => {
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const hook = join(repoRoot, 'dist', 'test', 'helpers', 'count-modules.js');
  const r = spawnSync(process.execPath, ['--import', hook, cliPath, 'heap', String(gone)], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(r.status, 0, 'no such process');
  assert.match(r.stderr, /no process with pid/);
  const n = Number(/heapy-modules: (\d+)/.exec(r.stderr)?.[1]);
  // 61 with the set API loaded up front; 38 without it (the CLI, attach, capture, the engine, the relations).
  assert.ok(n > 10 && n <= 40, `modules loaded: ${n}`);
});
