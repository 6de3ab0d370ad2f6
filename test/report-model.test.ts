// The report's data, without a browser: the linear-time via relation against the query layer's,
// the sections built from a real program's snapshots (top kind, paths, tree, diff, leaks, hints,
// graphs, timeline), the scoping of costly relations and the page's size and escaping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byVia, byViaReference, kindTable, partition } from '../src/query/index.js';
import { HeapSet } from '../src/api/index.js';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { readMonitorFile } from '../src/monitor/format.js';
import { assembleReport } from '../src/report/build.js';
import { renderReportHtml, scriptSafeJson } from '../src/report/html.js';
import { buildReport, RelationScope, type ReportData } from '../src/report/model.js';
import { incomingEdges, incomingIndex, outgoingEdges } from '../src/report/objects.js';
import { dominatedPage, kindRetained, retainedTree, type TreeNode } from '../src/report/tree.js';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, makeSnapshot, repoRoot, testDir } from './helpers/snapshots.js';

/** Three snapshots of report-app.mjs recorded under `heapy run` (so one run also gives a data file). */
function reportInputs() {
  const dir = testDir();
  const inputs = {
    base: join(dir, 'report-a.heapsnapshot'),
    target: join(dir, 'report-b.heapsnapshot'),
    final: join(dir, 'report-c.heapsnapshot'),
    monitor: join(dir, 'report-run.dat'),
  };
  execFileSync(
    process.execPath,
    [cliPath, 'run', '-q', '--interval', '50ms', '-o', inputs.monitor, '--', process.execPath, join(repoRoot, 'test', 'programs', 'report-app.mjs'), inputs.base, inputs.target, inputs.final],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 },
  );
  return inputs;
}
let inputs: ReturnType<typeof reportInputs> | undefined;

let loaded: Promise<{ base: HeapSnapshot; target: HeapSnapshot; final: HeapSnapshot }> | undefined;
function snapshots() {
  loaded ??= (async () => {
    const i = (inputs ??= reportInputs());
    return { base: await loadSnapshotFile(i.base), target: await loadSnapshotFile(i.target), final: await loadSnapshotFile(i.final) };
  })();
  return loaded;
}

test('the linear-time via relation gives the query layer\'s labels', async () => {
  const snap = await loadSnapshotFile(makeSnapshot('known-heap.mjs'));
  const all = HeapSet.all(snap);
  // byVia scans every retainer's edges per object (quadratic under big arrays): compare on the
  // objects whose retainers have few edges, which still covers Map entries, closures and stores.
  const subset: number[] = [];
  for (const o of all.ordinals) {
    let work = 0;
    for (let k = snap.firstRetainer[o]!; k < snap.firstRetainer[o + 1]!; k++) {
      const r = snap.retainerNode(k);
      work += snap.firstEdge[r + 1]! - snap.firstEdge[r]!;
    }
    if (work < 3000) subset.push(o);
  }
  assert.ok(subset.length > 20_000, `subset of ${subset.length}`);
  const ords = Uint32Array.from(subset);
  const fast = byVia.classify(snap, ords);
  const slow = byViaReference.classify(snap, ords);
  let mapSteps = 0;
  for (let j = 0; j < ords.length; j++) {
    const a = fast.label(fast.keys[j]!);
    assert.equal(a, slow.label(slow.keys[j]!), `object @${snap.nodeId[ords[j]!]}`);
    if (a.includes('.get(')) mapSteps++;
  }
  // known-heap.mjs keeps 50 Node50 objects in a Map: their via names the key.
  assert.ok(mapSteps >= 50, `labels with a Map key: ${mapSteps}`);
  const p = partition(snap, ords, byVia).partition;
  assert.equal(p.count, ords.length);
});

test('the report names the top kind, its holder, and sizes that add up', async () => {
  const { final: snap } = await snapshots();
  const data = buildReport([{ source: 'report-c.heapsnapshot', snapshot: snap }]);
  const kind = data.partitions.kind!;
  assert.equal(kind.rows[0]!.label, 'ReportWidget');
  assert.equal(kind.rows[0]!.count, 40_000);
  assert.equal(kind.count, data.snapshots[0]!.reachableCount);
  assert.deepEqual(data.relations.slice(0, 5), ['kind', 'type', 'size', 'referrers', 'via']);
  for (const name of data.relations) {
    const p = data.partitions[name]!;
    const shown = p.rows.reduce((a, r) => a + r.size, 0);
    assert.equal(shown + p.restSize, p.size, `${name}: rows and rest add up to the total`);
    assert.equal(p.scope, null);
  }
  // Each ReportWidget is held in widgetRegistry.widgets: the sample paths say so.
  const samples = kind.rows[0]!.samples;
  assert.equal(samples.length, 10);
  for (const id of samples) {
    const o = data.objects[String(id)]!;
    assert.match(o.path ?? '', /^Root\.global\.widgetRegistry\.widgets\[\d+\]$/);
    assert.equal(o.hops[o.hops.length - 1]!.id, id);
    assert.ok(o.edges && o.retainers, 'kind samples carry their neighbourhood');
    assert.equal(o.retainers.items[0]!.step.startsWith('['), true);
  }
  // Kind retained sizes: ReportWidgets hold only themselves (smi fields), so retained = self.
  assert.equal(kind.rows[0]!.retained, kind.rows[0]!.size);
  // The tree: children never retain more than their parent; the registry is a tile.
  const walk = (n: TreeNode, depth: number): number => {
    let count = 1;
    let sum = 0;
    for (const c of n.children ?? []) {
      sum += c.retained;
      assert.ok(c.retained <= n.retained, `${c.label} within ${n.label}`);
      count += walk(c, depth + 1);
    }
    assert.ok(sum <= n.retained + 1, `children of ${n.label} sum to at most its retained size`);
    return count;
  };
  const tiles = walk(data.tree!, 0);
  assert.ok(tiles > 20 && tiles <= 2500, `${tiles} tiles`);
  const labels: string[] = [];
  const collect = (n: TreeNode) => {
    labels.push(n.label);
    for (const c of n.children ?? []) collect(c);
  };
  collect(data.tree!);
  assert.ok(labels.includes('.widgetRegistry'), 'the registry has its own tile');
  assert.ok(labels.some((l) => /^[\d,]+ × /.test(l)), 'small children are grouped by kind');
  const json = JSON.stringify(data);
  assert.ok(json.length < 3_000_000, `report data is ${json.length} bytes`);
});

test('kind retained sizes count nested objects of a kind once', async () => {
  const { final: snap } = await snapshots();
  const ret = kindRetained(snap);
  const { names } = kindTable(snap);
  const k = names.indexOf('WidgetRegistry');
  // One registry retains its array and the 40,000 widgets in it.
  assert.ok(ret[k]! > 4_000_000, `WidgetRegistry retains ${ret[k]}`);
  assert.ok(ret[names.indexOf('ReportWidget')]! >= 40_000 * 40);
  const tree = retainedTree(snap, { depth: 2, maxNodes: 10 });
  let n = 0;
  const count = (x: TreeNode) => {
    n++;
    for (const c of x.children ?? []) count(c);
  };
  count(tree);
  assert.ok(n <= 10 + 8, `budget respected: ${n}`);
});

test('costly relations are scoped on huge heaps, and the scope says how', async () => {
  const { final: snap } = await snapshots();
  const data = buildReport([{ source: 'c', snapshot: snap }], { fullRelationNodes: 1, scopedKinds: 3, scopedObjects: 50_000, relations: ['kind', 'via', 'referrers'] });
  assert.equal(data.partitions.kind!.scope, null);
  for (const name of ['via', 'referrers']) {
    const p = data.partitions[name]!;
    assert.match(p.scope ?? '', /objects of the \d largest kinds/);
    assert.ok(p.count <= 50_000 || p.count === 40_000, `${name} partitions ${p.count} objects`);
    assert.ok(p.count < data.partitions.kind!.count);
  }
  // The server's row indexes use the same scope.
  const scope = new RelationScope(snap, HeapSet.all(snap), { fullRelationNodes: 1, scopedKinds: 3, scopedObjects: 50_000 });
  assert.equal(scope.ordinalsFor('via').ords.length, data.partitions.via!.count);
  assert.equal(scope.ordinalsFor('kind').scope, null);
});

test('edge pages: largest first, paged, and the batched index agrees with the per-object scan', async () => {
  const { final: snap } = await snapshots();
  const all = HeapSet.all(snap);
  const widgets = all.by('kind').at(0);
  // The widgets array's elements store: the retainer of a widget with the most edges.
  const w = widgets.ordinals[0]!;
  let arrayStore = -1;
  for (let k = snap.firstRetainer[w]!; k < snap.firstRetainer[w + 1]!; k++) {
    const r = snap.retainerNode(k);
    if (arrayStore < 0 || snap.firstEdge[r + 1]! - snap.firstEdge[r]! > snap.firstEdge[arrayStore + 1]! - snap.firstEdge[arrayStore]!) arrayStore = r;
  }
  const page1 = outgoingEdges(snap, arrayStore, 0, 5);
  assert.ok(page1.total >= 40_000);
  assert.equal(page1.items.length, 5);
  for (let i = 1; i < 5; i++) assert.ok(page1.items[i - 1]!.object.retained >= page1.items[i]!.object.retained);
  const page2 = outgoingEdges(snap, arrayStore, 5, 5);
  assert.equal(page2.offset, 5);
  assert.ok(page2.items[0]!.object.retained <= page1.items[4]!.object.retained);
  const some = Array.from(widgets.ordinals.subarray(0, 20));
  const index = incomingIndex(snap, some);
  for (const o of some) assert.deepEqual(incomingEdges(snap, o, 0, 5, index), incomingEdges(snap, o, 0, 5));
  const dom = dominatedPage(snap, arrayStore, 0, 3);
  assert.ok(dom.total >= 40_000 && dom.items.length === 3);
});

let full: Promise<ReportData> | undefined;
function fullReport() {
  full ??= (async () => {
    const { base, target, final } = await snapshots();
    const i = inputs!;
    return assembleReport(
      {
        snapshots: [
          { source: i.base, snapshot: base },
          { source: i.target, snapshot: target },
          { source: i.final, snapshot: final },
        ],
        monitors: [readMonitorFile(i.monitor)],
      },
      { graphs: 2 },
    );
  })();
  return full;
}

test('three snapshots and a recording add the diff, leaks, hints, graphs and timeline', async () => {
  const data = await fullReport();
  const diff = data.diff!;
  assert.equal(diff.from, 'report-a.heapsnapshot');
  const leaked = diff.rows.find((r) => r.label === 'LeakedOrder');
  assert.equal(leaked?.count, 10_000);
  assert.equal(diff.byId?.find((r) => r.kind === 'LeakedOrder')?.added, 10_000);
  const cluster = data.leaks!.clusters[0]!;
  assert.equal(cluster.kind, 'LeakedOrder');
  assert.match(cluster.shape, /orderLog\.entries/);
  assert.ok(cluster.holder !== null && data.objects[String(cluster.holder)], 'the holder can be opened');
  assert.ok(data.hints!.length > 0);
  for (const h of data.hints!) for (const id of h.objects) assert.ok(data.objects[String(id)], `hint object @${id} is described`);
  assert.equal(data.graphs!.length, 2);
  assert.match(data.graphs![0]!.svg, /^<\?xml|<svg/);
  assert.match(data.graphs![0]!.title, /^LeakedOrder @\d+$/);
  const tl = data.timelines![0]!;
  assert.ok(tl.series.some((s) => s.metric === 'rss' && s.peak > 10_000_000));
  assert.deepEqual(
    tl.marks.map((m) => m.label).filter((l) => l.startsWith('snapshot')),
    ['snapshot 0', 'snapshot 1', 'snapshot 2'],
  );
});

test('the page is one file with the data inert, escaped and pinned by a policy', async () => {
  const data = await fullReport();
  const html = renderReportHtml(data);
  assert.ok(!/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i.test(html), 'nothing loaded from elsewhere');
  // Attribute values are HTML-escaped: ' is &#39;.
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1]?.replace(/&#39;/g, "'") ?? '';
  assert.match(policy, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; /);
  assert.match(policy, /connect-src 'none'/);
  assert.ok(renderReportHtml({ ...data, live: true }).includes('connect-src &#39;self&#39;'), 'served pages may fetch from their origin');
  // Only two script elements: the inert JSON and the pinned boot script.
  assert.equal(html.match(/<script/g)?.length, 2);
  const hostile = scriptSafeJson({ s: '</script><script>alert(1)</script>\u2028' });
  assert.ok(!hostile.includes('</script'));
  assert.deepEqual(JSON.parse(hostile), { s: '</script><script>alert(1)</script>\u2028' });
  assert.ok(html.length < 3_000_000, `page is ${html.length} bytes`);
});
