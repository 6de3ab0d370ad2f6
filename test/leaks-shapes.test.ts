// Leak shapes the object clusters cannot see, and names of collections' hidden parts (issue 17).
// Each test/programs/leak-grow-*.mjs keeps one value at a stable place and replaces it by a larger
// copy on every change (a string built with `+=`, an array, a Buffer, a Map), then writes base,
// target and final snapshots: no object survives from one snapshot to the next, so only the place
// tells. test/programs/collection-tables.mjs holds a Map, a Set and a WeakMap for the names of
// their tables and entries in paths, `--by via` labels and graph labels.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { ExitCode } from '../src/errors.js';
import { assertNoLeak } from '../src/api/testing.js';
import { findLeaks, renderLeaks, type LeakCluster, type LeakReport } from '../src/analyses/leaks.js';
import { backrefGraph } from '../src/analyses/graph.js';
import { leakSection } from '../src/report/analyses.js';
import { HeapSet } from '../src/index.js';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { makeSnapshot } from './helpers/snapshots.js';
import { runNode } from './helpers/run.js';
import { limiter, programSnapshots } from './helpers/trio.js';
import { freePort } from './helpers/net.js';
import { launchChromium, openReport } from './helpers/browser.js';
import { pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const programs = join(root, 'test', 'programs');
const work = mkdtempSync(join(tmpdir(), 'heapy-leaks-shapes-'));
after(() => rmSync(work, { recursive: true, force: true }));
const run = (args: string[]) => runNode(args, work);

// Programs run two at a time (the machine has two cores), started as soon as this file loads.
const limited = limiter();
const snapshots = (name: string, program: string, args: string[] = []) => programSnapshots(limited, work, name, program, args);

const dirs = {
  string: snapshots('string', 'leak-grow-string.mjs'),
  array: snapshots('array', 'leak-grow-array.mjs'),
  buffer: snapshots('buffer', 'leak-grow-buffer.mjs'),
  map: snapshots('map', 'leak-grow-map.mjs'),
  queue: snapshots('queue', 'leak-queue.mjs'),
  steady: snapshots('steady', 'leak-service.mjs', ['steady', '400']),
};

const files = (dir: string) => ['base', 'target', 'final'].map((n) => join(dir, `${n}.heapsnapshot`));

async function report(name: keyof typeof dirs): Promise<{ final: HeapSnapshot; report: LeakReport; all: LeakReport; snaps: HeapSnapshot[] }> {
  const snaps = await Promise.all(files(await dirs[name]).map((f) => loadSnapshotFile(f)));
  const [b, t, f] = snaps as [HeapSnapshot, HeapSnapshot, HeapSnapshot];
  return { final: f, report: findLeaks(b, t, f), all: findLeaks(b, t, f, { all: true }), snaps };
}

/** The one growing value a program leaks, with what every growing value must show. */
function only(r: LeakReport, want: { kind: string; shape: string; holderKind: string; holderPath: string; via: string }): LeakCluster {
  assert.deepEqual(
    r.clusters.map((c) => [c.type, c.kind, c.shape]),
    [['growing value', want.kind, want.shape]],
  );
  const c = r.clusters[0]!;
  assert.equal(c.growing, true);
  assert.equal(c.count, 1);
  assert.equal(c.holder.kind, want.holderKind);
  assert.equal(c.holder.path, want.holderPath);
  assert.equal(c.via, want.via);
  assert.equal(c.representative.path, want.shape);
  assert.equal(c.representative.kind, want.kind);
  const v = c.value!;
  assert.ok(v, 'the value in each snapshot');
  // Three different objects at one place, each larger than the one before.
  assert.equal(new Set([v.ids.base, v.ids.target, v.ids.final]).size, 3);
  assert.equal(v.ids.final, c.representative.id);
  assert.ok(v.sizes.base < v.sizes.target && v.sizes.target < v.sizes.final, JSON.stringify(v.sizes));
  assert.equal(c.retainedSize, v.sizes.final);
  return c;
}

test('a string built with += on a module variable: a growing value at <module leak-grow-string.mjs>.log', async () => {
  const { report: r } = await report('string');
  const c = only(r, {
    kind: '(string)',
    shape: '<module leak-grow-string.mjs>.log',
    holderKind: 'system / Context',
    holderPath: '<module leak-grow-string.mjs>',
    via: '.log',
  });
  const v = c.value!;
  // 2,000 lines a round, each a new line string and a new cons string of at least 16 bytes each.
  assert.ok(v.sizes.target - v.sizes.base >= 2000 * 32, JSON.stringify(v.sizes));
  assert.ok(v.sizes.final - v.sizes.target >= 2000 * 32, JSON.stringify(v.sizes));
  assert.equal(v.entries, null);
  // The value keeps every line since base: the lines of the target round survive inside it.
  assert.ok(c.contents[0]!.kind === '(string)' && c.contents[0]!.count >= 4000, JSON.stringify(c.contents));
  const text = renderLeaks(r);
  assert.match(text, /^#1 growing value, \(string\): replaced by a larger one in each round, retaining \d/m);
  assert.match(text, /^ {3}path: {5}<module leak-grow-string\.mjs>\.log$/m);
  assert.match(text, /^ {3}holder: {3}system \/ Context @\d+ at <module leak-grow-string\.mjs>$/m);
  assert.match(text, new RegExp(`^ {3}growth: {3}retained .* in base -> .* in target -> .* in final \\(ids @${v.ids.base} -> @${v.ids.target} -> @${v.ids.final}\\)$`, 'm'));
});

test('an array replaced by a longer copy: 1,000 -> 2,000 -> 3,000 elements at <module leak-grow-array.mjs>.store.history', async () => {
  const { report: r } = await report('array');
  const c = only(r, {
    kind: 'Array',
    shape: '<module leak-grow-array.mjs>.store.history',
    holderKind: 'Object',
    holderPath: '<module leak-grow-array.mjs>.store',
    via: '.history',
  });
  assert.deepEqual(c.value!.entries, { base: 1000, target: 2000, final: 3000 });
  // Each round adds 1,000 slots of 8 bytes and 1,000 Change objects.
  const s = c.value!.sizes;
  assert.ok(s.target - s.base >= 1000 * 40 && s.final - s.target >= 1000 * 40, JSON.stringify(s));
  // The Changes of the target round are inside the final array.
  assert.ok(c.contents.some((k) => k.kind === 'Change' && k.count === 2000), JSON.stringify(c.contents));
  assert.match(renderLeaks(r), /; 1,000 -> 2,000 -> 3,000 elements \(ids @/);
});

test('a Buffer replaced by Buffer.concat: exactly 500 × 64 bytes more a round at Root.global.journal', async () => {
  const { report: r } = await report('buffer');
  const c = only(r, { kind: 'Buffer', shape: 'Root.global.journal', holderKind: 'global', holderPath: 'Root.global', via: '.journal' });
  const s = c.value!.sizes;
  // The bytes are copied, so no object survives; the backing store is the whole growth.
  assert.equal(s.target - s.base, 500 * 64);
  assert.equal(s.final - s.target, 500 * 64);
  assert.equal(c.value!.entries, null);
});

test('a Map rebuilt on each change: 300 -> 600 -> 900 entries at <module leak-grow-map.mjs>.index', async () => {
  const { report: r, snaps } = await report('map');
  const c = only(r, {
    kind: 'Map',
    shape: '<module leak-grow-map.mjs>.index',
    holderKind: 'system / Context',
    holderPath: '<module leak-grow-map.mjs>',
    via: '.index',
  });
  assert.deepEqual(c.value!.entries, { base: 300, target: 600, final: 900 });
  assert.ok(c.contents.some((k) => k.kind === 'Entry' && k.count === 600), JSON.stringify(c.contents));
  // The HTML report shows it as a growing value, with its sizes in the three snapshots.
  const rs = snaps.map((snapshot, i) => ({ snapshot, source: `${['base', 'target', 'final'][i]}.heapsnapshot` }));
  const section = leakSection(rs[0]!, rs[1]!, rs[2]!).section;
  assert.equal(section.clusters.length, 1);
  const m = section.clusters[0]!;
  assert.equal(m.type, 'growing value');
  assert.equal(m.shape, '<module leak-grow-map.mjs>.index');
  assert.deepEqual(m.grew, c.value!.sizes);
});

test('a steady service and a leaking queue: no growing value; the queue cluster shows its holder growing round by round', async () => {
  const steady = await report('steady');
  assert.equal(steady.report.clusters.length, 0, renderLeaks(steady.report));
  assert.ok(steady.all.clusters.every((c) => c.type === 'objects' && !c.growing));
  const queue = await report('queue');
  assert.deepEqual(
    queue.all.clusters.filter((c) => c.type === 'growing value').map((c) => c.shape),
    [],
  );
  const c = queue.report.clusters[0]!;
  assert.equal(c.kind, 'TradeMessage');
  const h = c.holderRetained!;
  // The holder (the queue's items array) holds 1,000, 2,000, 3,000 messages of at least 56 bytes each:
  // what grew is the holder, by a round of messages each time.
  assert.ok(h.target - h.base >= 1000 * 56 && h.final - h.target >= 1000 * 56, JSON.stringify(h));
  assert.ok(h.final >= c.retainedSize, `the holder retains the survivors and more: ${JSON.stringify(h)}`);
  const line = renderLeaks(queue.report).split('\n').find((l) => l.startsWith('   growth:'));
  assert.match(line ?? '', /^ {3}growth: {3}2,000 -> 3,000 held by the holder; the holder retains .+ in base -> .+ in target -> .+ in final$/);
});

test('heapy leaks on a growing value: --json carries it, --fail exits with leakFound', async () => {
  const dir = await dirs.buffer;
  const [json, fail] = await Promise.all([run([bin, 'leaks', ...files(dir), '--json']), run([bin, 'leaks', ...files(dir), '--fail'])]);
  assert.equal(json.code, ExitCode.ok, json.stderr);
  const c = (JSON.parse(json.stdout) as LeakReport).clusters[0]!;
  assert.equal(c.type, 'growing value');
  assert.equal(c.shape, 'Root.global.journal');
  assert.equal(c.value!.sizes.final - c.value!.sizes.target, 32000);
  assert.equal(fail.code, ExitCode.leakFound, fail.stderr);
  assert.match(fail.stdout, /^#1 growing value, Buffer: /m);
});

let tables: Promise<HeapSnapshot> | undefined;
const tablesSnapshot = (): Promise<HeapSnapshot> => (tables ??= loadSnapshotFile(makeSnapshot('collection-tables.mjs')));

function ofKind(snap: HeapSnapshot, kind: string): HeapSet {
  const all = HeapSet.all(snap);
  const i = all.partition.rows.findIndex((r) => r.label === kind);
  assert.ok(i >= 0, `a row ${kind}`);
  return all.at(i);
}

test('summary --by via: a Map or Set table is labelled .[[table of Map]], not left empty', async () => {
  const snap = await tablesSnapshot();
  const labels = HeapSet.all(snap).byVia.partition.rows.map((r) => r.label);
  assert.ok(!labels.includes(''), 'no empty label');
  assert.ok(labels.includes('.[[table of Map]]'));
  assert.ok(labels.includes('.[[table of Set]]'));
  // Every Map table is in that row, the one under Root.global.sessions among them.
  const mapTables = ofKind(snap, 'table of Map');
  assert.deepEqual(
    mapTables.byVia.partition.rows.map((r) => r.label),
    ['.[[table of Map]]'],
  );
});

test('heapy path --kind "table of Map" ends each path with the table step', async () => {
  const file = makeSnapshot('collection-tables.mjs');
  const r = await run([bin, 'path', file, '--kind', 'table of Map', '--limit', '100', '--json']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const paths = (JSON.parse(r.stdout) as { paths: string[] }).paths;
  assert.ok(paths.length > 5);
  for (const p of paths) assert.ok(p.endsWith('.[[table of Map]]'), p);
  assert.ok(paths.includes('Root.global.sessions.[[table of Map]]'), paths.join('\n'));
  // A Map's entries still read through the table without a step of their own.
  const values = ofKind(await tablesSnapshot(), 'Object').sp.paths;
  assert.ok(values.includes('Root.global.sessions.get("a")'), values.join('\n'));
});

test('WeakMap entries: the key -> value edge prints as .<value in WeakMap @id> from the key and .get(<key>) from the table', async () => {
  const snap = await tablesSnapshot();
  const configs = ofKind(snap, 'Config');
  assert.equal(configs.count, 2);
  const weakMap = [...ofKind(snap, 'WeakMap').ordinals].find((o) => new HeapSet(snap, Uint32Array.of(o)).sp.paths[0] === 'Root.global.configs');
  assert.ok(weakMap !== undefined, 'the WeakMap at Root.global.configs');
  const w = snap.nodeId[weakMap]!;
  assert.deepEqual([...configs.sp.paths].sort(), [`Root.global.linters[0].<value in WeakMap @${w}>`, `Root.global.linters[1].<value in WeakMap @${w}>`]);
  // Both ends in the via labels and in the back-reference graph: no raw `part of key` name.
  const via = configs.byVia.partition.rows.map((r) => r.label);
  assert.ok(via.every((l) => !l.includes('part of key')), via.join('\n'));
  assert.ok(via.every((l) => new RegExp(`^\\.<value in WeakMap @${w}>, \\.get\\(<Linter @\\d+>\\)`).test(l)), via.join('\n'));
  const g = backrefGraph(snap, configs.ordinals, { depth: 1 });
  const labels = g.edges.map((e) => e.label);
  assert.ok(labels.filter((l) => /^\.get\(<Linter @\d+>\)$/.test(l)).length === 2, labels.join('\n'));
  assert.ok(labels.filter((l) => l === `.<value in WeakMap @${w}>`).length === 2, labels.join('\n'));
});

test("the README's growing-value example: the same report, run as written, numbers aside", async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('$ mkdir snaps && node test/programs/leak-grow-string.mjs snaps');
  assert.ok(start >= 0, 'the example in the README');
  const block = readme.slice(start, readme.indexOf('```', start)).trimEnd().split('\n');
  const command = block[1]!;
  assert.equal(command, '$ heapy leaks snaps/base.heapsnapshot snaps/target.heapsnapshot snaps/final.heapsnapshot');
  const dir = join(work, 'readme');
  mkdirSync(join(dir, 'snaps'), { recursive: true });
  const made = await limited(() => runNode([join(programs, 'leak-grow-string.mjs'), 'snaps'], dir));
  assert.equal(made.code, 0, made.stderr);
  const r = await runNode([bin, ...command.split(' ').slice(2)], dir);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  // Ids, sizes and counts differ from run to run; every word and path must not.
  const mask = (text: string) => text.replace(/@\d+/g, '@N').replace(/\d[\d,.]* (B|KiB|MiB)\b/g, 'SIZE').replace(/\d[\d,]*/g, 'N');
  assert.deepEqual(mask(r.stdout.trimEnd()).split('\n'), block.slice(2).map(mask));
});

test('heapy leaks --pid on a running service whose log string grows by +=: the growing value, by its module variable', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [`--inspect-port=${port}`, join(programs, 'leak-live-string.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', (code) => reject(new Error(`leak-live-string.mjs exited (${code})`)));
    });
    const pid = (JSON.parse(line) as { pid: number }).pid;
    const r = await runNode([bin, 'leaks', '--pid', String(pid), '--port', String(port), '--interval', '1s', '--json', '--fail'], work);
    assert.equal(r.code, ExitCode.leakFound, r.stderr);
    const values = (JSON.parse(r.stdout) as LeakReport).clusters.filter((c) => c.type === 'growing value');
    assert.deepEqual(
      values.map((c) => [c.kind, c.shape, c.holder.path]),
      [['(string)', '<module leak-live-string.mjs>.log', '<module leak-live-string.mjs>']],
    );
    // About 2,000 lines of 40 bytes a second, each with its cons string: well over 8 KiB a round.
    const s = values[0]!.value!.sizes;
    assert.ok(s.target - s.base > 40_000 && s.final - s.target > 40_000, JSON.stringify(s));
    // The service runs on.
    assert.equal(child.exitCode, null);
  } finally {
    child.kill('SIGKILL');
  }
});

// In this process: a module-level string that a function appends to.
let journal = '';

test('heapy/testing: assertNoLeak rejects a function that grows a string by +=, naming the module variable', async () => {
  const err = await assertNoLeak(
    () => {
      journal += `entry ${journal.length} `.padEnd(200, '.');
    },
    { iterations: 100 },
  ).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error, 'rejected');
  assert.match(err.message, /^#1 growing value, \(string\): replaced by a larger one in each round/m);
  assert.match(err.message, /^ {3}path: {5}<module leaks-shapes\.test\.js>\.journal$/m);
});

test('heapy report on the Map program: the leaks section shows the growing value and how it grew, in a real browser', async () => {
  const dir = await dirs.map;
  const out = join(work, 'map-report.html');
  const r = await run([bin, 'report', ...files(dir), '-o', out]);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const browser = await launchChromium();
  try {
    const { page, errors } = await openReport(browser, pathToFileURL(out).href);
    const text = await page.locator('#leaks .cluster').first().innerText();
    assert.match(text, /^Growing value, Map\s+replaced by a larger one/);
    assert.match(text, /Grew\s*[\d.]+ KiB → [\d.]+ KiB → [\d.]+ KiB/);
    assert.match(text, /Held by system \/ Context @\d+ through \.index/);
    assert.match(text, /<module leak-grow-map\.mjs>\.index/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
