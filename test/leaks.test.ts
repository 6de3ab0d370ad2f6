// Three-snapshot leak detection and hints on real Node programs with known leaks. Each program in
// test/programs/leak-*.mjs knows nothing about heapy: it runs its workload and writes base, target
// and final snapshots of itself with v8.writeHeapSnapshot at moments it chooses. The tests check
// that heapy names the leaking kind, its holder and its path, and stays silent on a steady service.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../src/errors.js';
import { findLeaks, type LeakCluster, type LeakReport } from '../src/analyses/leaks.js';
import { findHints, renderHints, type Hint } from '../src/analyses/hints.js';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { runNode } from './helpers/run.js';
import { limiter, programSnapshots } from './helpers/trio.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'heapy-leaks-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => runNode(args, work);

// Programs run two at a time (the machine has two cores), started as soon as this file loads.
const limited = limiter();
const snapshots = (name: string, program: string, args: string[] = []) => programSnapshots(limited, work, name, program, args);

const dirs = {
  // 400 requests a round (the program's default of 600 takes longer under load).
  cache: snapshots('cache', 'leak-service.mjs', ['leak', '400']),
  steady: snapshots('steady', 'leak-service.mjs', ['steady', '400']),
  queue: snapshots('queue', 'leak-queue.mjs'),
  listeners: snapshots('listeners', 'leak-listeners.mjs'),
  closure: snapshots('closure', 'leak-closure.mjs'),
  dict: snapshots('dict', 'leak-dict.mjs'),
  async: snapshots('async', 'leak-async.mjs'),
};

interface Trio {
  dir: string;
  base: HeapSnapshot;
  target: HeapSnapshot;
  final: HeapSnapshot;
  report: LeakReport;
}

async function trio(name: keyof typeof dirs): Promise<Trio> {
  const dir = await dirs[name];
  const base = await loadSnapshotFile(join(dir, 'base.heapsnapshot'));
  const target = await loadSnapshotFile(join(dir, 'target.heapsnapshot'));
  const final = await loadSnapshotFile(join(dir, 'final.heapsnapshot'));
  return { dir, base, target, final, report: findLeaks(base, target, final) };
}

function hint(hints: readonly Hint[], rule: Hint['rule'], pattern: RegExp): Hint {
  const h = hints.find((x) => x.rule === rule && pattern.test(x.title));
  assert.ok(h, `a ${rule} hint matching ${pattern}; got:\n${hints.map((x) => `${x.rule}: ${x.title}`).join('\n')}`);
  return h;
}

/** Checks the parts of a cluster every leak test cares about. */
function checkCluster(c: LeakCluster | undefined, want: { kind: string; count: number; holderKind: string; holderPathEnd: string; shapeEnd: string }): LeakCluster {
  assert.ok(c, 'a cluster');
  assert.equal(c.kind, want.kind);
  assert.equal(c.count, want.count);
  assert.equal(c.growing, true);
  assert.equal(c.holder.kind, want.holderKind);
  assert.ok(c.holder.path.endsWith(want.holderPathEnd), `holder path ${c.holder.path} ends with ${want.holderPathEnd}`);
  assert.ok(c.shape.endsWith(want.shapeEnd), `shape ${c.shape} ends with ${want.shapeEnd}`);
  // The example is a real path that runs through the holder.
  assert.ok(c.representative.path.startsWith(c.holder.path), `${c.representative.path} starts with ${c.holder.path}`);
  assert.equal(c.representative.kind, want.kind);
  // Growth after target: the holder holds one more round of them in final.
  assert.ok(c.held.final > c.held.target, `held ${c.held.target} -> ${c.held.final}`);
  assert.ok(c.fresh > 0);
  return c;
}

test('an unbounded cache in an HTTP service: AuditRecord in the module-level Map, and nothing else', async () => {
  const t = await trio('cache');
  const growing = t.report.clusters.filter((c) => c.growing);
  // The records (400 a round) and their keys, both held by the `audit` Map; no other noise.
  assert.deepEqual(
    growing.map((c) => c.kind),
    ['AuditRecord', '(string)'],
  );
  const c = checkCluster(growing[0], { kind: 'AuditRecord', count: 400, holderKind: 'Map', holderPathEnd: '.audit', shapeEnd: '.audit.get(*)' });
  assert.equal(c.held.target, 800);
  assert.equal(c.held.final, 1200);
  assert.equal(c.holders, 1);
  // Each record keeps its parsed request body: the objects inside it are counted with it.
  assert.ok(c.objects > 5 * c.count, `${c.objects} objects inside`);
  assert.ok(c.contents.some((k) => k.kind === 'Object'));
  assert.ok(c.retainedSize > 400 * 200, `retained ${c.retainedSize}`);
  assert.ok(growing[1]!.shape.endsWith('.audit.keys()[*]'));

  const hints = findHints(t.final, null, { base: t.base });
  const h = hint(hints, 'large-collection', /^Map @\d+ holds 1,200 entries \(grew from 400 in the base snapshot\)/);
  assert.ok(h.objects[0]!.path.endsWith('.audit'));
});

test('a steady service (bounded cache, cleared timers, settled promises): no leak, no hint', async () => {
  const t = await trio('steady');
  assert.equal(t.report.clusters.length, 0, t.report.clusters.map((c) => `${c.kind} ${c.shape}`).join('\n'));
  // Objects did come and go between the snapshots; none kept growing.
  assert.ok(t.report.newInTarget > 500, `${t.report.newInTarget} new in target`);
  const all = findLeaks(t.base, t.target, t.final, { all: true });
  assert.ok(all.clusters.every((c) => !c.growing));
  assert.deepEqual(
    findHints(t.final, null, { base: t.base }).map((h) => h.title),
    [],
  );
});

test("the seed's Issue #2: TradeMessages piling up in a queue nobody drains", async () => {
  const t = await trio('queue');
  assert.equal(t.report.clusters.length, 1);
  const c = checkCluster(t.report.clusters[0], {
    kind: 'TradeMessage',
    count: 1000,
    holderKind: 'Array',
    holderPathEnd: 'hub._unreads.get("DataSource")[0]._queue.items',
    shapeEnd: '.hub._unreads.get(*)[*]._queue.items[*]',
  });
  assert.equal(c.held.target, 2000);
  assert.equal(c.held.final, 3000);
  assert.ok(/\._queue\.items\[\d+\]$/.test(c.representative.path));

  const hints = findHints(t.final, null, { base: t.base });
  const q = hint(hints, 'large-collection', /^Array @\d+ holds 3,000 elements \(grew from 1,000 in the base snapshot\)/);
  assert.ok(q.objects[0]!.path.endsWith('._queue.items'));
  // `XPRA-${seq % 7}` builds a new string per message: duplicates a dedupe would save.
  const d = hint(hints, 'duplicate-strings', /keeping one copy of each would save/);
  assert.ok(d.details.some((line) => line.startsWith('"XPRA-')), d.details.join('\n'));
  assert.ok(d.count >= 2900, `${d.count} extra copies`);
});

test('an event listener leak: onPrice closures on the feed', async () => {
  const t = await trio('listeners');
  assert.equal(t.report.clusters.length, 1);
  const c = checkCluster(t.report.clusters[0], { kind: 'Function onPrice', count: 500, holderKind: 'Array', holderPathEnd: '.feed._events.price', shapeEnd: '.feed._events.price[*]' });
  // Each listener's context keeps its Subscription.
  assert.ok(c.contents.some((k) => k.kind === 'Subscription' && k.count === 500));

  const hints = findHints(t.final);
  const h = hint(hints, 'listeners', /^PriceFeed @\d+ has 1,500 'price' listeners \(onPrice\(\)/);
  assert.ok(h.objects[0]!.path.endsWith('.feed'));
});

test('a closure over a large buffer: retryJob keeps 32 KB each through its shared context', async () => {
  const t = await trio('closure');
  assert.equal(t.report.clusters.length, 1);
  const c = checkCluster(t.report.clusters[0], { kind: 'Function retryJob', count: 60, holderKind: 'Set', holderPathEnd: '.pendingRetries', shapeEnd: '.pendingRetries.values()[*]' });
  assert.ok(c.retainedSize >= 60 * 32 * 1024, `retained ${c.retainedSize}`);

  const hints = findHints(t.final);
  const h = hint(hints, 'closure-context', /^180 closure contexts of retryJob\(\) \(.*leak-closure\.mjs:\d+\) keep `raw` alive/);
  assert.equal(h.count, 180);
  assert.ok(h.bytes >= 180 * 32 * 1024);
  assert.ok(h.objects.some((o) => o.kind === 'Buffer' && o.path.endsWith('<context>.raw')));
  // The largest hint first.
  assert.equal(hints[0], h);
});

test("the seed's Issue #1: NanoTime objects in dictionary mode, kept in a tick history", async () => {
  const t = await trio('dict');
  assert.equal(t.report.clusters.length, 1);
  checkCluster(t.report.clusters[0], { kind: 'NanoTime', count: 800, holderKind: 'Array', holderPathEnd: '.history.ticks', shapeEnd: '.history.ticks[*]' });

  const hints = findHints(t.final);
  const h = hint(hints, 'dictionary-properties', /^2,400 NanoTime objects are in dictionary mode: /);
  assert.equal(h.count, 2400);
  // A NameDictionary costs hundreds of bytes where in-object fields would cost 8 each.
  assert.ok(h.bytes > 2400 * 200, `${h.bytes} bytes`);
  assert.match(h.advice, /constructor/);
  assert.match(h.advice, /delete/);
  assert.ok(/\.history\.ticks\[\d+\]$/.test(h.objects[0]!.path));
});

test('requests stuck on an upstream: pending promises, suspended async calls and timers', async () => {
  const t = await trio('async');
  const top = t.report.clusters[0];
  assert.ok(top);
  assert.equal(top.kind, 'Object');
  assert.ok(top.shape.endsWith('.upstream.pending.get(*)'), top.shape);
  assert.equal(top.holder.kind, 'Map');
  assert.equal(top.count, 1200);
  // Each pending entry holds the resolver whose promise keeps the suspended frame.
  assert.ok(top.contents.some((k) => k.kind === 'Generator' && k.count === 1200), JSON.stringify(top.contents));
  // The per-request deadline timers, reached along two path shapes merged into one population.
  const timeouts = t.report.clusters.filter((c) => c.kind === 'Timeout');
  assert.equal(timeouts.length, 1);
  assert.equal(timeouts[0]!.count, 1200);
  assert.equal(timeouts[0]!.growing, true);

  const hints = findHints(t.final);
  const frames = hint(hints, 'async-frames', /^3,600 suspended calls of handleRequest\(\) \(.*leak-async\.mjs:\d+\)/);
  assert.equal(frames.count, 3600);
  const promises = hint(hints, 'pending-promises', /3,60\d of them pending with callbacks waiting/);
  assert.ok(promises.count >= 3600);
  const timers = hint(hints, 'timers', /^3,600 pending timers/);
  assert.ok(timers.details[0]!.startsWith('Timeout'));
});

test('heapy leaks and heapy hints on the files: text, JSON, usage and file errors', async () => {
  const dir = await dirs.queue;
  const files = ['base', 'target', 'final'].map((n) => join(dir, `${n}.heapsnapshot`));
  // The runs are independent: start them together.
  const other = await dirs.listeners;
  const [text, json, hints, fewFiles, badTop, missing, badMin, reversed, mixed] = await Promise.all([
    run([bin, 'leaks', ...files]),
    run([bin, 'leaks', ...files, '--json']),
    run([bin, 'hints', files[2]!, '--base', files[0]!, '--json']),
    run([bin, 'leaks', files[0]!, files[1]!]),
    run([bin, 'leaks', ...files, '--top', 'x']),
    run([bin, 'leaks', join(dir, 'nope.heapsnapshot'), files[1]!, files[2]!]),
    run([bin, 'hints', files[2]!, '--min-bytes', '-1']),
    run([bin, 'leaks', files[2]!, files[1]!, files[0]!]),
    run([bin, 'leaks', join(other, 'base.heapsnapshot'), files[1]!, join(other, 'final.heapsnapshot')]),
  ]);
  assert.equal(text.code, ExitCode.ok, text.stderr);
  assert.match(text.stdout, /#1 TradeMessage: 1,000 leaked \(\+1,000 since target\), retaining /);
  assert.match(text.stdout, /holder: {3}Array @\d+ at .*hub\._unreads\.get\("DataSource"\)\[0\]\._queue\.items\n/);
  assert.equal(json.code, ExitCode.ok);
  const parsed = JSON.parse(json.stdout) as LeakReport & { base: string };
  assert.equal(parsed.base, files[0]);
  assert.equal(parsed.clusters[0]!.kind, 'TradeMessage');
  assert.equal(parsed.clusters[0]!.count, 1000);

  assert.equal(hints.code, ExitCode.ok, hints.stderr);
  const h = JSON.parse(hints.stdout) as { hints: Hint[] };
  assert.ok(h.hints.some((x) => x.rule === 'large-collection' && x.count === 3000));
  assert.match(renderHints(h.hints), /^1\. Array @\d+ holds 3,000 elements \(grew from 1,000 in the base snapshot\), retaining .* \[large-collection, .* at stake\]\n {3}fix: /);

  assert.equal(fewFiles.code, ExitCode.usage);
  assert.equal(badTop.code, ExitCode.usage);
  assert.equal(missing.code, ExitCode.fileNotFound);
  assert.match(missing.stderr, /^heapy: .*nope\.heapsnapshot/);
  assert.equal(badMin.code, ExitCode.usage);
  // Ids only compare within one process, in the order the snapshots were taken.
  assert.equal(reversed.code, ExitCode.badInput);
  assert.match(reversed.stderr, /^heapy: the snapshots are out of order/);
  assert.equal(mixed.code, ExitCode.badInput);
  assert.match(mixed.stderr, /^heapy: (the snapshots are out of order|.* not snapshots of one process)/);
});

test('heapy leaks --fail: a leak gate for CI, exit status leakFound on a growing cluster and 0 on a steady service, the report printed either way', async () => {
  const [queue, steady] = await Promise.all([dirs.queue, dirs.steady]);
  const files = (dir: string) => ['base', 'target', 'final'].map((n) => join(dir, `${n}.heapsnapshot`));
  const [leakText, leakJson, steadyText, steadyJson] = await Promise.all([
    run([bin, 'leaks', ...files(queue), '--fail']),
    run([bin, 'leaks', ...files(queue), '--fail', '--json']),
    run([bin, 'leaks', ...files(steady), '--fail']),
    run([bin, 'leaks', ...files(steady), '--fail', '--json']),
  ]);
  assert.equal(ExitCode.leakFound, 40);
  assert.equal(leakText.code, ExitCode.leakFound, leakText.stderr);
  assert.match(leakText.stdout, /#1 TradeMessage: 1,000 leaked/);
  assert.equal(leakText.stderr, '');
  assert.equal(leakJson.code, ExitCode.leakFound, leakJson.stderr);
  assert.equal((JSON.parse(leakJson.stdout) as LeakReport).clusters[0]!.kind, 'TradeMessage');
  assert.equal(steadyText.code, ExitCode.ok, steadyText.stderr);
  assert.match(steadyText.stdout, /No (growing )?leak found/);
  assert.equal(steadyJson.code, ExitCode.ok, steadyJson.stderr);
  assert.equal((JSON.parse(steadyJson.stdout) as LeakReport).clusters.filter((c) => c.growing).length, 0);
});
