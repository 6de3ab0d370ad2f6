// guppy's diff, objgraph's growth / most common types / back-reference chains and graphs, and the
// detached-DOM hint: exact layouts against the reference output, hand-built graphs for exact
// structure, and real snapshots of real programs (Node and Chromium) for the rest.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './helpers/browser.js';
import { ExitCode, HeapyError } from '../src/errors.js';
import { diffPartitions, renderDiffTable, type DiffData } from '../src/analyses/diff.js';
import { formatG } from '../src/util/format.js';
import { GrowthTracker, renderGrowth, type GrowthRow } from '../src/analyses/growth.js';
import { backrefGraph, toDot } from '../src/analyses/graph.js';
import { findHints } from '../src/analyses/hints.js';
import { HeapSet } from '../src/api/index.js';
import { loadStat } from '../src/api/stat.js';
import { HeapSnapshot, loadSnapshotFile, SnapshotParser } from '../src/snapshot/index.js';
import { SnapshotBuilder } from './helpers/builder.js';
import { runNode } from './helpers/run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'heapy-analyses-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => runNode(args, work);

// The queue program's three snapshots (500 messages a round), made once for this file.
const queueDir = (async () => {
  const dir = join(work, 'queue');
  mkdirSync(dir);
  const r = await run([join(root, 'test', 'programs', 'leak-queue.mjs'), dir, '500']);
  if (r.code !== 0) throw new Error(`leak-queue.mjs: ${r.stderr}`);
  return dir;
})();
async function queue(name: 'base' | 'target' | 'final'): Promise<HeapSet> {
  return HeapSet.all(await loadSnapshotFile(join(await queueDir, `${name}.heapsnapshot`)));
}

function row(set: HeapSet, label: string): HeapSet {
  const i = set.partition.rows.findIndex((r) => r.label === label);
  assert.ok(i >= 0, `a row ${label}`);
  return set.at(i);
}

/** The block of guppy3-output.txt under `== title`, up to the next `== ` line. */
function reference(title: string): string {
  const text = readFileSync(join(root, '..', 'shared', 'reference', 'guppy3-output.txt'), 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf(`== ${title}`);
  assert.ok(start >= 0, title);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('== '));
  return lines.slice(start + 1, end).join('\n');
}

test("guppy's diff layout, character for character, on the reference output's numbers", () => {
  const diff: Omit<DiffData, 'byId' | 'idNote'> = {
    header: 'Kind (class / dict of class)',
    a: { count: 264, size: 18448 },
    b: { count: 174, size: 12448 },
    rows: [
      { label: 'dict of __main__.Node', count: 30, size: 2640 },
      { label: '__main__.Node', count: 30, size: 1680 },
      { label: 'list', count: 30, size: 1680 },
    ],
  };
  assert.equal(renderDiffTable(diff), reference('diff (b - a)'));
  const heapu: Omit<DiffData, 'byId' | 'idNote'> = { header: 'Type', a: { count: 951, size: 107483 }, b: { count: 950, size: 107427 }, rows: [{ label: 'list', count: 1, size: 56 }] };
  assert.equal(renderDiffTable(heapu), reference('heapu'));
  // No difference: the summary alone; an empty B: guppy's "(n.a.)".
  assert.equal(renderDiffTable({ header: 'Type', a: { count: 1, size: 8 }, b: { count: 1, size: 8 }, rows: [] }).split('\n').length, 5);
  assert.match(renderDiffTable({ header: 'Type', a: { count: 1, size: 8 }, b: { count: 0, size: 0 }, rows: [{ label: 'x', count: 1, size: 8 }] }), /= {4}\(n\.a\.\) % of B/);
});

test("C's %g as guppy prints percentages", () => {
  assert.equal(formatG(48.2005, 3), '48.2');
  assert.equal(formatG(0.052128, 3), '0.0521');
  assert.equal(formatG(100, 3), '100');
  assert.equal(formatG(99.96, 3), '100');
  assert.equal(formatG(123456, 3), '1.23e+05');
  assert.equal(formatG(0.00001234, 3), '1.23e-05');
  assert.equal(formatG(-21.2, 3), '-21.2');
  assert.equal(formatG(0, 3), '0');
});

test('partition differences: matched by label, zero rows dropped, largest absolute size first', () => {
  const p = (rows: [string, number, number][]) => ({
    header: 'Kind (class / dict of class)',
    count: rows.reduce((a, r) => a + r[1], 0),
    size: rows.reduce((a, r) => a + r[2], 0),
    rows: rows.map(([label, count, size], key) => ({ key, label, count, size })),
  });
  const d = diffPartitions(
    p([
      ['Foo', 10, 100],
      ['Bar', 5, 50],
      ['Same', 3, 30],
    ]),
    p([
      ['Bar', 1, 500],
      ['Same', 3, 30],
      ['Gone', 2, 20],
    ]),
  );
  assert.deepEqual(d.rows, [
    { label: 'Bar', count: 4, size: -450 },
    { label: 'Foo', count: 10, size: 100 },
    { label: 'Gone', count: -2, size: -20 },
  ]);
});

test('diff of two snapshots of one process: the table, objects matched by id, a saved stat, the CLI', async () => {
  const base = await queue('base');
  const final = await queue('final');
  const d = final.diff(base);
  const tm = d.rows.find((r) => r.label === 'TradeMessage');
  assert.ok(tm);
  assert.equal(tm.count, 1000);
  assert.equal(tm.size, 1000 * row(final, 'TradeMessage').size / 1500);
  const byId = d.byId?.find((r) => r.kind === 'TradeMessage');
  assert.deepEqual(byId && [byId.added, byId.deleted, byId.deltaCount], [1000, 0, 1000]);
  // The items array is one object in both: its id matches, so it is neither added nor deleted.
  const text = String(d);
  assert.equal(text.split('\n')[0], 'Summary of difference operation (A-B).');
  assert.match(text, /\nObjects matched by V8 id: new in A, deleted since B \(DevTools comparison\)\.\n Index {4}# New # Deleted {2}# Delta {2}Alloc\. Size {2}Freed Size {2}Size Delta Kind\n/);
  assert.match(text, new RegExp(`\\n {4}\\s*\\d+ +1000 +0 +\\+1000 +${byId!.addedSize} +0 +\\+${byId!.addedSize} TradeMessage\\n`));

  // Against a saved table: the same class differences, no id matching.
  const stat = join(work, 'base.stat');
  base.dump(stat);
  const vsStat = final.diff(loadStat(stat));
  assert.equal(vsStat.byId, null);
  assert.deepEqual(vsStat.rows, d.rows);
  assert.throws(
    () => final.bySize.diff(loadStat(stat)),
    (e: unknown) => e instanceof HeapyError && e.exitCode === ExitCode.badInput,
  );

  const dir = await queueDir;
  const [cli, json, byType, bad] = await Promise.all([
    run([bin, 'diff', join(dir, 'base.heapsnapshot'), join(dir, 'final.heapsnapshot')]),
    run([bin, 'diff', join(dir, 'base.heapsnapshot'), join(dir, 'final.heapsnapshot'), '--json', '--top', '0']),
    run([bin, 'diff', join(dir, 'base.heapsnapshot'), join(dir, 'final.heapsnapshot'), '--by', 'type']),
    run([bin, 'diff', join(dir, 'base.heapsnapshot'), join(dir, 'final.heapsnapshot'), '--by', 'colour']),
  ]);
  assert.equal(cli.code, ExitCode.ok, cli.stderr);
  assert.equal(cli.stdout.split('\n').slice(0, 5).join('\n'), String(d).split('\n').slice(0, 5).join('\n'));
  const parsed = JSON.parse(json.stdout) as { A: { file: string; count: number }; rows: { label: string; count: number }[] };
  assert.ok(parsed.A.file.endsWith('final.heapsnapshot'));
  assert.equal(parsed.A.count, final.count);
  assert.equal(parsed.rows.find((r) => r.label === 'TradeMessage')?.count, 1000);
  assert.match(byType.stdout, /\n Index {2}Count {5}Size {2}Cumulative {2}% of B Type\n/);
  assert.equal(bad.code, ExitCode.usage);
});

test("objgraph's show_growth: peaks, deltas and the '%-*s%9d %+9d' layout", () => {
  const t = new GrowthTracker();
  const first = t.update(
    new Map([
      ['Foo', 5],
      ['Bar', 2],
    ]),
  );
  assert.deepEqual(first.rows, [
    { kind: 'Foo', count: 5, delta: 5 },
    { kind: 'Bar', count: 2, delta: 2 },
  ]);
  // Foo fell below its peak: not reported; Bar rose past it.
  assert.deepEqual(
    t.update(
      new Map([
        ['Foo', 4],
        ['Bar', 7],
      ]),
    ).rows,
    [{ kind: 'Bar', count: 7, delta: 5 }],
  );
  // Growth counts from the peak (5), not from the last value (4).
  assert.deepEqual(t.update(new Map([['Foo', 6]])).rows, [{ kind: 'Foo', count: 6, delta: 1 }]);
  const rows: GrowthRow[] = [
    { kind: 'wrapper_descriptor', count: 970, delta: 14 },
    { kind: 'tuple', count: 12282, delta: 10 },
    { kind: 'dict', count: 1922, delta: 7 },
  ];
  // What Python prints for objgraph's format with these rows.
  assert.equal(renderGrowth(rows), 'wrapper_descriptor      970       +14\ntuple                 12282       +10\ndict                   1922        +7');
});

test('h.growth() in a live process: 3000 new Widgets reported first, then nothing about them', async () => {
  const r = await run([join(root, 'test', 'programs', 'leak-growth.mjs')]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { first: number; second: GrowthRow[]; text: string; third: GrowthRow[] };
  // The first call reports every kind (nothing seen before).
  assert.ok(out.first > 100, `${out.first} kinds on the first call`);
  assert.deepEqual(out.second[0], { kind: 'Widget', count: 3000, delta: 3000 });
  assert.match(out.text.split('\n')[0]!, /^Widget +3000 +\+3000$/);
  assert.ok(!out.third.some((x) => x.kind === 'Widget'));
});

test('most common kinds and a back-reference chain on a real heap', async () => {
  const final = await queue('final');
  const common = final.mostCommonKinds(0);
  const counts = common.rows.map((r) => r.count);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => b - a),
  );
  assert.equal(common.rows.find((r) => r.kind === 'TradeMessage')?.count, 1500);
  const top3 = final.mostCommonKinds(3);
  const width = Math.max(...top3.rows.map((r) => r.kind.length));
  assert.equal(String(top3), top3.rows.map((r) => `${r.kind.padEnd(width)} ${r.count}`).join('\n'));

  const messages = row(final, 'TradeMessage');
  const chain = messages.backrefChain();
  const last = chain.links[chain.links.length - 1]!;
  assert.equal(chain.links[0]!.kind, '(root)');
  assert.equal(last.kind, 'TradeMessage');
  assert.match(chain.path, /\.hub\._unreads\.get\("DataSource"\)\[0\]\._queue\.items\[\d+\]$/);
  // The links' steps spell the path; the Map's table is folded into `.get(...)`.
  assert.equal('Root' + chain.links.map((l) => l.via).join(''), chain.path);
  assert.ok(!chain.links.some((l) => l.kind.startsWith('table of')));
  assert.equal(messages.backrefChain(last.id).path, chain.path);
  assert.throws(() => messages.backrefChain(1), HeapyError);
});

/** root → global → cache (Cache) → items (Array) → 20 Items, each → one shared Config. */
function fanIn(): { snap: HeapSnapshot; ids: Map<string, number> } {
  const b = new SnapshotBuilder();
  b.node('global', 'object', 'global', 40).edge('root', 'global', 'shortcut', 'global');
  b.node('cache', 'object', 'Cache', 32).edge('global', 'cache', 'property', 'cache');
  b.node('items', 'object', 'Array', 32).edge('cache', 'items', 'property', 'items');
  b.node('config', 'object', 'Config', 64);
  for (let i = 0; i < 20; i++) {
    b.node(`item${i}`, 'object', 'Item', 48).edge('items', `item${i}`, 'element', i).edge(`item${i}`, 'config', 'property', 'config');
  }
  const p = new SnapshotParser({ source: 'fan-in' });
  p.write(Buffer.from(b.toJSON(), 'latin1'));
  const snap = HeapSnapshot.analyze(p.finish());
  return { snap, ids: new Map([...b.ordinals().keys()].map((k) => [k, b.id(k)])) };
}

test('back-reference graph: fan-in cut at tooMany, roots, highlighted starts, DOT and SVG', async () => {
  const { snap, ids } = fanIn();
  const start = snap.ordinalOfId(ids.get('config')!);
  const g = backrefGraph(snap, [start], { depth: 5, maxNodes: 30, tooMany: 8 });
  const kinds = g.nodes.map((n) => (n.more !== undefined ? `+${n.more}` : n.kind));
  // Config, 8 of its 20 Items and a "+12" box, then the array, the cache and the global object.
  assert.deepEqual(kinds, ['Config', ...Array(8).fill('Item'), '+12', 'Array', 'Cache', 'global']);
  assert.equal(g.nodes[0]!.start, true);
  assert.equal(g.nodes.find((n) => n.kind === 'global')!.root, true);
  assert.equal(g.nodes.filter((n) => n.root).length, 1);
  const labels = g.edges.map((e) => `${g.nodes[e.from]!.kind || 'more'}${e.label}>${g.nodes[e.to]!.kind}`);
  assert.ok(labels.includes('Item.config>Config'));
  assert.ok(labels.includes('more>Config'));
  assert.ok(labels.includes('Array[0]>Item'));
  assert.ok(labels.includes('Cache.items>Array'));
  assert.ok(labels.includes('global.cache>Cache'));
  assert.equal(g.truncated, false);
  // A budget of 5 boxes stops the walk early.
  assert.equal(backrefGraph(snap, [start], { maxNodes: 5 }).truncated, true);

  const dot = toDot(g, 'referrers of Config');
  assert.match(dot, /^digraph backrefs \{\n/);
  assert.match(dot, /n0 \[label="Config @\d+\\nretains 64 B", fillcolor="#ffd54f", penwidth=2, color="#e65100"\];/);
  assert.match(dot, /label="\+12 more referrers", shape=note/);
  assert.match(dot, /label="global @\d+\\n\{cache\}", shape=doubleoctagon/);
  assert.match(dot, / -> n0 \[label="\.config"\];/);
  const set = new HeapSet(snap, Uint32Array.of(start));
  const svg = await set.graph({ tooMany: 8 }).svg();
  assert.match(svg, /^<\?xml[\s\S]*<svg [\s\S]*Config @\d+[\s\S]*\+12 more referrers[\s\S]*<\/svg>\s*$/);
});

test('heapy graph on a real heap: SVG and DOT files, the objects and edges of the queue', async () => {
  const final = await queue('final');
  const messages = row(final, 'TradeMessage');
  // From a set of 1,500, the graph starts at the 5 largest (maxStarts).
  assert.equal(messages.graph({ depth: 1 }).data.nodes.filter((n) => n.start).length, 5);
  const two = new HeapSet(final.snapshot, messages.ordinals.slice(0, 2));
  const g = two.graph({ depth: 4, maxNodes: 12 });
  const kinds = g.data.nodes.map((n) => n.kind);
  assert.ok(kinds.includes('MessageQueue') && kinds.includes('Subscriber'), kinds.join(','));
  assert.ok(g.data.edges.some((e) => e.label === '.items') && g.data.edges.some((e) => e.label === '._queue'));
  const items = g.data.nodes.find((n) => n.kind === 'Array' && n.preview.startsWith('length'));
  assert.equal(items?.preview, 'length ≥ 1,500');

  const dir = await queueDir;
  const file = join(dir, 'final.heapsnapshot');
  const id = String(two.ordinals.length > 0 ? final.snapshot.nodeId[two.ordinals[0]!] : 0);
  const [svg, dot, png, missing] = await Promise.all([
    run([bin, 'graph', file, '--kind', 'TradeMessage', '--limit', '2', '-o', join(work, 'q.svg')]),
    run([bin, 'graph', file, '--id', id, '--depth', '3', '-o', join(work, 'q.dot')]),
    run([bin, 'graph', file, '--id', id, '-o', join(work, 'q.png')]),
    run([bin, 'graph', file, '--id', '999999999']),
  ]);
  assert.equal(svg.code, ExitCode.ok, svg.stderr);
  assert.match(readFileSync(join(work, 'q.svg'), 'utf8'), /<svg [\s\S]*TradeMessage @\d+[\s\S]*\.items/);
  assert.match(svg.stderr, /^heapy: \d+ objects, \d+ edges -> .*q\.svg\n$/);
  assert.equal(dot.code, ExitCode.ok, dot.stderr);
  assert.match(readFileSync(join(work, 'q.dot'), 'utf8'), new RegExp(`^digraph backrefs[\\s\\S]*TradeMessage @${id}`));
  assert.equal(png.code, ExitCode.usage);
  assert.equal(existsSync(join(work, 'q.png')), false);
  assert.equal(missing.code, ExitCode.badInput);
});

test('hints on a subset: only the objects of the set count', async () => {
  const final = await queue('final');
  const all = final.hints({ minBytes: 16 * 1024 }).hints;
  assert.ok(all.some((h) => h.rule === 'large-collection'));
  // The strings the messages refer to: their duplicates, and no collection.
  const strings = row(final, 'TradeMessage').referents;
  const some = strings.hints({ minBytes: 16 * 1024 }).hints;
  assert.deepEqual(
    some.map((h) => h.rule),
    ['duplicate-strings'],
  );
  assert.ok(some[0]!.count >= 1400, `${some[0]!.count} copies`);
});

test('detached DOM nodes in a Chromium heap: the detached hint with counts and a path', async () => {
  const browser = await launchChromium();
  const file = join(work, 'chromium-detached.heapsnapshot');
  try {
    const page = await browser.newPage();
    // 300 list rows removed from the page but kept in an array: detached, still referenced.
    await page.setContent(`<!doctype html><body><ul id=list></ul><script>
      const list = document.getElementById('list');
      for (let i = 0; i < 300; i++) { const li = document.createElement('li'); li.textContent = 'row ' + i; list.appendChild(li); }
      window.removed = [...list.children];
      list.replaceChildren();
    </script></body>`);
    const cdp = await page.context().newCDPSession(page);
    const out = createWriteStream(file);
    cdp.on('HeapProfiler.addHeapSnapshotChunk', (p: { chunk: string }) => {
      out.write(p.chunk);
    });
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    await browser.close();
  }
  const hints = findHints(await loadSnapshotFile(file));
  const h = hints.find((x) => x.rule === 'detached');
  assert.ok(h, hints.map((x) => x.title).join('\n'));
  assert.equal(h.count, 600);
  assert.deepEqual(h.details, ['Detached <li> x300', 'Detached Text x300']);
  assert.match(h.objects[0]!.path, /\.removed\[\d+\]/);
});
