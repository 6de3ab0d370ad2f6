// hpy() and HeapSet on real snapshots of programs written to make the answers known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hpy, HeapSet } from '../src/index.js';
import { loadSnapshotFile } from '../src/snapshot/index.js';
import { makeSnapshot, repoRoot, testDir } from './helpers/snapshots.js';

async function known(): Promise<HeapSet> {
  return HeapSet.all(await loadSnapshotFile(makeSnapshot('known-heap.mjs')));
}

function row(set: HeapSet, label: string): HeapSet {
  const i = set.partition.rows.findIndex((r) => r.label.trim() === label);
  assert.ok(i >= 0, `a row '${label}'`);
  return set.at(i);
}

test('50 instances held in a Map: row, sizes, referrers, via names, paths, dominos', async () => {
  const all = await known();
  const nodes = row(all, 'Node50');
  assert.equal(nodes.count, 50);
  assert.equal(nodes.kind, 'Node50');
  // One individual size for all of them, and the row total is 50 times it.
  const bySize = nodes.bySize.partition;
  assert.equal(bySize.rows.length, 1);
  assert.equal(bySize.rows[0]!.count, 50);
  assert.equal(bySize.rows[0]!.size, 50 * Number(bySize.rows[0]!.label));
  assert.equal(nodes.size, bySize.size);
  assert.equal(String(nodes.bySize).split('\n')[1], ' Index  Count   %     Size   % Cumulative  % Individual Size');
  // Referred to by the Map's hash table only.
  const rcs = nodes.byReferrers.partition;
  assert.deepEqual(
    rcs.rows.map((r) => [r.label, r.count]),
    [['table of Map', 50]],
  );
  // Each is reached as .get("kN").
  const via = nodes.byVia.partition.rows.map((r) => r.label).sort();
  assert.deepEqual(via, Array.from({ length: 50 }, (_, i) => `.get("k${i}")`).sort());
  // guppy's .sp layout: 10 numbered paths, then the count of the others.
  const sp = String(nodes.sp).split('\n');
  assert.equal(sp.length, 11);
  assert.match(sp[0]!, /^ 0: Root\.global\.cache\.get\("k\d+"\)$/);
  assert.equal(sp[10], '<... 40 more paths ...>');
  assert.equal(new Set(nodes.sp.paths).size, 50);
  // Freeing the 50 frees them and the label strings only they hold.
  const dominos = nodes.dominos;
  assert.ok(nodes.isSubsetOf(dominos));
  assert.deepEqual(dominos.difference(nodes).partition.rows.map((r) => [r.label, r.count]), [['(string)', 50]]);
  let retained = 0;
  for (const o of nodes.ordinals) retained += nodes.snapshot.retainedSize[o]!;
  assert.equal(nodes.domisize, retained);
  assert.equal(nodes.retainedSize, retained);
  // The Map is the immediate dominator of all 50 (through its table, which it owns).
  const imdom = nodes.imdom;
  assert.deepEqual(imdom.partition.rows.map((r) => [r.label, r.count]), [['table of Map', 1]]);
  assert.equal(nodes.referrers.count, 1);
  assert.ok(nodes.referents.count >= 50, 'label strings and shapes');
});

test('byType, byId, byUnity, byLocation, products, theone, brief, more', async () => {
  const all = await known();
  const nodes = row(all, 'Node50');
  assert.deepEqual(nodes.byType.partition.rows.map((r) => r.label), ['object']);
  assert.deepEqual(nodes.byUnity.partition.rows.map((r) => [r.label, r.count]), [['<Anything>', 50]]);
  const byId = String(nodes.byId).split('\n');
  assert.match(byId[0]!, /^Set of 50 Node50 objects\. Total size = \d+ bytes\.$/);
  assert.equal(byId[1], ' Index     Size   %   Cumulative  %   Brief');
  assert.match(byId[2]!, /^     0 +\d+ +2\.0 +\d+ +2\.0 Node50: <Node50 @\d+>$/);
  assert.equal(byId[12], "<40 more rows. Type e.g. '_.more' to view.>");
  const one = nodes.byId.at(3);
  assert.equal(one.count, 1);
  assert.equal(one.theone.kind, 'Node50');
  assert.equal(one.theone.type, 'object');
  assert.ok(one.theone.edges.some((e) => e.name === 'label'));
  assert.match(String(one.sp), /^ 0: Root\.global\.cache\.get\("k\d+"\)$/);
  assert.match(nodes.brief, /^<50 Node50: @\d+, @\d+, @\d+\.\.\.>$/);
  const loc = nodes.byLocation.partition.rows;
  assert.equal(loc.length, 1);
  assert.match(loc[0]!.label, /known-heap\.mjs:\d+:\d+$/);
  const product = all.by('kind & type').partition.rows.find((r) => r.label === 'Node50 & object');
  assert.equal(product?.count, 50);
  assert.match(String(all.more), /^Partition of a set of/);
  assert.equal(String(all.more).split('\n')[2]!.trimStart().split(' ')[0], '10');
  assert.equal(String(all[1]), String(all.at(1)));
});

test('set algebra', async () => {
  const all = await known();
  const nodes = row(all, 'Node50');
  const msgs = row(all, 'Message');
  const both = nodes.union(msgs);
  assert.equal(both.count, 80);
  assert.equal(both.intersection(nodes).count, 50);
  assert.equal(both.difference(nodes).count, 30);
  assert.equal(both.symmetricDifference(nodes).count, 30);
  assert.ok(nodes.isSubsetOf(both));
  assert.ok(both.isSupersetOf(msgs));
  assert.ok(!both.isSubsetOf(nodes));
  assert.ok(both.has(nodes.ordinals[0]!));
  assert.ok(!msgs.has(nodes.ordinals[0]!));
  assert.ok(both.has(msgs));
});

test('.rp shows the queue holding the messages', async () => {
  const msgs = row(await known(), 'Message');
  const rp = msgs.getRp({ depth: 3 });
  const text = String(rp).split('\n');
  assert.equal(text[0], 'Reference Pattern by <[dict of] class>.');
  assert.match(text[1]!, /^ 0: _ --- \[-\] 30 Message: @\d+, @\d+\.\.\.$/);
  assert.match(text[2]!, /^ 1: a {6}\[-\] 1 Array: @\d+\*30$/);
  assert.match(text[3]!, /^ 2: aa ---- \[-\] 1 Queue: @\d+$/);
});

test('dump and loadStat keep a partition for later', async () => {
  const all = await known();
  const file = join(testDir(), 'stat.txt');
  all.dump(file);
  const text = readFileSync(file, 'utf8').split('\n');
  assert.equal(text[0], '.loader: _load_stat');
  assert.equal(text[1], '.format: SetFormat');
  assert.match(text[2]!, /^\.timemade: \d+\.\d{6}$/);
  assert.equal(text[3], `.count: ${all.count}`);
  const back = hpy().loadStat(file);
  assert.equal(String(back), String(all));
  assert.equal(back.count, all.count);
});

test('in-process: setref, then heap() shows only what was allocated since', async () => {
  const h = hpy();
  class Fresh {
    n: number;
    constructor(n: number) {
      this.n = n;
    }
  }
  const holder: { items: Fresh[] } = { items: [] };
  (globalThis as Record<string, unknown>).heapyTestHolder = holder;
  await h.setref();
  for (let i = 0; i < 40; i++) holder.items.push(new Fresh(i));
  const heap = await h.heap();
  const fresh = row(heap, 'Fresh');
  assert.equal(fresh.count, 40);
  assert.ok(heap.count < 20_000, `only new objects (${heap.count})`);
  assert.match(fresh.sp.paths[0]!, /^Root\.global\.heapyTestHolder\.items\[\d+\]$/);
  assert.ok(!heap.partition.rows.some((r) => r.label === 'HeapSnapshot'), "heapy's own objects are left out");
  const iso = await h.iso(holder.items[7]!);
  assert.equal(iso.count, 1);
  assert.equal(iso.theone.kind, 'Fresh');
  h.close();
  delete (globalThis as Record<string, unknown>).heapyTestHolder;
});

test('in-process: after setref, 1,000 new instances are row 0 and nothing of heapy shows', async () => {
  const h = hpy();
  class Quote {
    bid: number;
    ask: number;
    constructor(i: number) {
      this.bid = i;
      this.ask = i + 1;
    }
  }
  const kept: Quote[] = [];
  (globalThis as Record<string, unknown>).heapyTestQuotes = kept;
  await h.setref();
  for (let i = 0; i < 1000; i++) kept.push(new Quote(i));
  const heap = await h.heap();
  assert.equal(heap.partition.rows[0]!.label, 'Quote', String(heap));
  assert.equal(heap[0]!.count, 1000);
  // heapy's code is in dist/src: no closure, script or class of it is counted in the new heap.
  const heapyDir = new URL('../../src/', import.meta.url).href;
  const modules = heap.byModule.partition.rows.map((r) => r.label);
  assert.ok(!modules.some((m) => m.includes(heapyDir) || m.includes('/dist/src/')), modules.join('\n'));
  assert.ok(!String(heap.hints()).includes('/dist/src/'), String(heap.hints()) + '\n' + heap.all);
  for (const kind of ['HeapSnapshot', 'HeapSet', 'SnapshotParser', 'InProcessInspector', 'Hpy', 'StringTable']) {
    assert.ok(!heap.partition.rows.some((r) => r.label === kind), `${kind} is heapy's`);
  }
  // A row index past the table is an error, not undefined.
  assert.throws(() => heap[heap.partition.rows.length], /out of range/);
  h.close();
  delete (globalThis as Record<string, unknown>).heapyTestQuotes;
});

test('byProducer names the allocating line when allocation tracking was on', async () => {
  const out = join(testDir(), 'tracked.heapsnapshot');
  execFileSync(process.execPath, [join(repoRoot, 'test', 'programs', 'tracked-heap.mjs'), out]);
  const all = HeapSet.all(await loadSnapshotFile(out));
  const widgets = row(all, 'Widget');
  const prod = widgets.byProducer.partition.rows;
  assert.equal(prod.length, 1);
  assert.match(prod[0]!.label, /tracked-heap\.mjs:\d+ makeWidget$/);
});

test('.nodes iterates views of the objects', async () => {
  const all = await known();
  const msgs = row(all, 'Message');
  const views = [...msgs.nodes];
  assert.equal(views.length, 30);
  for (const v of views) {
    assert.equal(v.kind, 'Message');
    assert.equal(v.type, 'object');
    assert.ok(v.retainedSize >= v.selfSize);
    assert.ok(v.edges.some((e) => e.name === 'body'));
  }
});
