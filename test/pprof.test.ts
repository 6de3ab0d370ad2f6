// pprof and speedscope output: the encoders on hand-made profiles and graphs (exact stacks and
// values), `heapy alloc --pprof/--speedscope` against a real program (decoded with pprof-format:
// the known allocating function with its file and line, totals equal to the report's), the
// speedscope file and the pprof file opened in speedscope's own page in Chromium, and
// `heapy summary --pprof` on a real snapshot (totals equal to the summary's, a known class under
// its holder's kind).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { Profile } from 'pprof-format';
import { launchChromium } from './helpers/browser.js';
import { runNode } from './helpers/run.js';
import { cliPath, makeSnapshot, repoRoot } from './helpers/snapshots.js';
import { SnapshotBuilder } from './helpers/builder.js';
import { HeapSnapshot, SnapshotParser } from '../src/snapshot/index.js';
import { allocationPprof, allocationSpeedscope, dominatorStacks, MAX_STACK_DEPTH, snapshotPprof, type SpeedscopeFile } from '../src/export/index.js';
import type { AllocationReport, SamplingProfile } from '../src/monitor/alloc.js';

const dir = mkdtempSync(join(tmpdir(), 'heapy-pprof-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A decoded pprof file in a form tests can compare: sample types, and stacks (outermost first) with their values. */
function readPprof(bytes: Uint8Array) {
  const p = Profile.decode(bytes);
  const s = p.stringTable.strings;
  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const loc = new Map(p.location.map((l) => [Number(l.id), l]));
  const frameOf = (id: unknown) => {
    const line = loc.get(Number(id))!.line[0]!;
    const f = fn.get(Number(line.functionId))!;
    return { name: s[Number(f.name)]!, file: s[Number(f.filename)]!, startLine: Number(f.startLine), line: Number(line.line), column: Number(line.column) };
  };
  return {
    sampleTypes: p.sampleType.map((t) => `${s[Number(t.type)]}/${s[Number(t.unit)]}`),
    periodType: p.periodType ? `${s[Number(p.periodType.type)]}/${s[Number(p.periodType.unit)]}` : '',
    period: Number(p.period),
    comments: p.comment.map((c) => s[Number(c)]!),
    samples: p.sample.map((x) => ({ frames: x.locationId.map(frameOf).reverse(), value: x.value.map(Number) })),
  };
}

const stackText = (frames: { name: string }[]): string => frames.map((f) => f.name).join(' > ');

function loadText(text: string): HeapSnapshot {
  const p = new SnapshotParser({ source: 'test' });
  p.write(Buffer.from(text, 'latin1'));
  return HeapSnapshot.analyze(p.finish());
}

test('allocationPprof: one sample per call path with bytes, leaf first, positions 1-based, counts from the samples list', () => {
  const cf = (functionName: string, lineNumber: number, columnNumber: number, url = 'file:///app/x.js') => ({ functionName, scriptId: '1', url, lineNumber, columnNumber });
  const profile: SamplingProfile = {
    head: {
      id: 1, selfSize: 0, callFrame: cf('(root)', -1, -1, ''),
      children: [
        { id: 2, selfSize: 100, callFrame: cf('main', 0, 9), children: [
          { id: 3, selfSize: 300, callFrame: cf('', 4, 2), children: [] },
          { id: 4, selfSize: 0, callFrame: cf('idle', 9, 0), children: [] },
        ] },
        { id: 5, selfSize: 50, callFrame: cf('(garbage collector)', -1, -1, ''), children: [] },
      ],
    },
    samples: [{ size: 100, nodeId: 2, ordinal: 1 }, { size: 150, nodeId: 3, ordinal: 2 }, { size: 150, nodeId: 3, ordinal: 3 }, { size: 50, nodeId: 5, ordinal: 4 }],
  };
  const p = readPprof(allocationPprof(profile, { samplingInterval: 1024, durationMs: 2000, startMs: 1e12 }));
  assert.deepEqual(p.sampleTypes, ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(p.periodType, 'space/bytes');
  assert.equal(p.period, 1024);
  assert.deepEqual(
    p.samples.map((x) => [stackText(x.frames), ...x.value]),
    [['main', 1, 100], ['main > (anonymous)', 2, 300], ['(garbage collector)', 1, 50]],
  );
  assert.deepEqual(p.samples[1]!.frames[1], { name: '(anonymous)', file: '/app/x.js', startLine: 5, line: 5, column: 3 });
  assert.deepEqual(p.samples[2]!.frames[0], { name: '(garbage collector)', file: '', startLine: 0, line: 0, column: 0 });

  const ss = allocationSpeedscope(profile, 'test', 'heapy');
  assert.deepEqual(ss.shared.frames, [
    { name: 'main', file: 'file:///app/x.js', line: 1, col: 10 },
    { name: '(anonymous)', file: 'file:///app/x.js', line: 5, col: 3 },
    { name: 'idle', file: 'file:///app/x.js', line: 10, col: 1 },
    { name: '(garbage collector)' },
  ]);
  assert.deepEqual(ss.profiles[0]!.samples, [[0], [0, 1], [3]]);
  assert.deepEqual(ss.profiles[0]!.weights, [100, 300, 50]);
  assert.equal(ss.profiles[0]!.endValue, 450);
});

test('dominatorStacks: kinds down the dominator tree, identical stacks merged, deep chains cut at MAX_STACK_DEPTH', () => {
  //   root => G (Global) -> A, B; A -> C, B -> C (so G dominates C); A -> D; G -> L0 -> L1 -> ... -> L99
  const b = new SnapshotBuilder()
    .node('G', 'object', 'Global', 10)
    .node('A', 'object', 'Holder', 20)
    .node('B', 'object', 'Holder', 30)
    .node('C', 'object', 'Item', 40)
    .node('D', 'object', 'Item', 50)
    .edge('root', 'G', 'shortcut', 'global')
    .edge('G', 'A')
    .edge('G', 'B')
    .edge('A', 'C')
    .edge('B', 'C')
    .edge('A', 'D');
  let prev = 'G';
  for (let i = 0; i < 100; i++) {
    b.node(`L${i}`, 'object', 'Link', 8).edge(prev, `L${i}`, 'property', 'next');
    prev = `L${i}`;
  }
  const snap = loadText(b.toJSON());
  const p = readPprof(snapshotPprof(snap));
  const byStack = new Map(p.samples.map((x) => [stackText(x.frames), x.value]));
  assert.deepEqual(byStack.get('Global'), [1, 10]);
  // A and B are both "Holder" under Global: one stack.
  assert.deepEqual(byStack.get('Global > Holder'), [2, 50]);
  assert.deepEqual(byStack.get('Global > Item'), [1, 40], 'C is held by both holders: its dominator is Global');
  assert.deepEqual(byStack.get('Global > Holder > Item'), [1, 50]);
  const links = 'Global' + ' > Link'.repeat(MAX_STACK_DEPTH - 3);
  // L0 .. L60 have exact stacks of up to 62 frames; the 39 deeper links share one cut stack.
  assert.deepEqual(byStack.get(links), [1, 8]);
  assert.deepEqual(byStack.get(`${links} > (deeper dominators) > Link`), [39, 8 * 39]);
  assert.ok(p.samples.every((x) => x.frames.length <= MAX_STACK_DEPTH));
  const st = dominatorStacks(snap);
  assert.equal(st.totalBytes, 10 + 20 + 30 + 40 + 50 + 8 * 100);
  assert.equal(st.totalBytes, p.samples.reduce((a, x) => a + x.value[1]!, 0));
  assert.equal(st.folded, 0);
});

// One 3 s run of the known allocating program shared by the tests below.
let allocRun: Promise<{ report: AllocationReport; pprof: string; speedscope: string }> | undefined;
function alloc() {
  allocRun ??= (async () => {
    const pprof = join(dir, 'alloc.pb');
    const speedscope = join(dir, 'alloc.speedscope.json');
    const r = await runNode([cliPath, 'alloc', '--json', '--pprof', pprof, '--speedscope', speedscope, '--', process.execPath, join(repoRoot, 'test', 'programs', 'monitor-alloc.mjs')], dir);
    assert.equal(r.code, 0, r.stderr);
    return { report: JSON.parse(r.stdout) as AllocationReport, pprof, speedscope };
  })();
  return allocRun;
}

test('alloc --pprof: inuse_objects and inuse_space, grow with its file and line, totals equal to the report', async () => {
  const { report, pprof } = await alloc();
  assert.equal(statSync(pprof).mode & 0o777, 0o600);
  const p = readPprof(readFileSync(pprof));
  assert.deepEqual(p.sampleTypes, ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(p.periodType, 'space/bytes');
  assert.equal(p.period, report.samplingInterval);
  assert.equal(p.samples.reduce((a, x) => a + x.value[1]!, 0), report.totalBytes);
  assert.equal(p.samples.reduce((a, x) => a + x.value[0]!, 0), report.totalSamples);
  // The heaviest sample ends in grow, defined at monitor-alloc.mjs:6:14 (see monitor-attach.test.ts).
  const top = p.samples.reduce((a, x) => (x.value[1]! > a.value[1]! ? x : a));
  const leaf = top.frames.at(-1)!;
  assert.equal(leaf.name, 'grow');
  assert.equal(normalize(leaf.file), join(repoRoot, 'test', 'programs', 'monitor-alloc.mjs'));
  assert.deepEqual([leaf.startLine, leaf.line, leaf.column], [6, 6, 14]);
  assert.equal(top.frames.at(-2)!.name, '(anonymous)');
  assert.equal(top.frames.at(-2)!.line, 8);
});

test('alloc --speedscope: speedscope JSON whose weights are the report’s bytes', async () => {
  const { report, speedscope } = await alloc();
  assert.equal(statSync(speedscope).mode & 0o777, 0o600);
  const f = JSON.parse(readFileSync(speedscope, 'utf8')) as SpeedscopeFile;
  assert.equal(f.$schema, 'https://www.speedscope.app/file-format-schema.json');
  const prof = f.profiles[0]!;
  assert.equal(prof.type, 'sampled');
  assert.equal(prof.unit, 'bytes');
  assert.equal(prof.weights.reduce((a, w) => a + w, 0), report.totalBytes);
  assert.equal(prof.endValue, report.totalBytes);
  assert.equal(prof.samples.length, prof.weights.length);
  assert.ok(prof.samples.every((s) => s.every((i) => f.shared.frames[i] !== undefined)));
  const grow = f.shared.frames.find((x) => x.name === 'grow');
  assert.ok(grow?.file?.endsWith('/test/programs/monitor-alloc.mjs'), JSON.stringify(grow));
  assert.ok(grow);
  assert.equal(grow.line, 6);
  assert.equal(grow.col, 14);
});

test('speedscope’s own page shows grow in the flame graph of both files (speedscope JSON and uncompressed pprof), offline', async () => {
  const { speedscope, pprof } = await alloc();
  // speedscope's release build is a static page; #profileURL= fetches a profile from the same origin.
  const release = join(repoRoot, 'node_modules', 'speedscope', 'dist', 'release');
  const files: Record<string, string> = { '/profile.json': speedscope, '/profile.pb': pprof };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = files[path] ?? join(release, path === '/' ? 'index.html' : normalize(path).replace(/^\/+/, ''));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  const browser = await launchChromium();
  try {
    for (const [path, format] of [['/profile.json', 'speedscope json'], ['/profile.pb', 'protobuf encoded pprof']] as const) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const logs: string[] = [];
      const errors: string[] = [];
      const outside: string[] = [];
      page.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith(origin)) outside.push(r.url());
      });
      await page.goto(`${origin}/#profileURL=${encodeURIComponent(origin + path)}`);
      await page.getByText('Left Heavy').waitFor({ timeout: 30_000 });
      // The flame graph is a canvas: hover down its middle column, reading speedscope's tooltip
      // (frame name, then file:line) for each row. grow holds >80% of the bytes, so it spans the middle.
      const seen: string[] = [];
      for (let y = 130; y < 500 && !seen.some((t) => /\bgrow\n/.test(t)); y += 10) {
        await page.mouse.move(600, y);
        const tip = (await page.locator('body').innerText()).split('Help').slice(1).join('').trim();
        if (tip && !seen.includes(tip)) seen.push(tip);
      }
      const grow = seen.find((t) => /\bgrow\n/.test(t));
      assert.ok(grow, `${path}: tooltips ${JSON.stringify(seen)}`);
      assert.match(grow, /test\/programs\/monitor-alloc\.mjs:6$/);
      assert.ok(logs.some((l) => l.includes(`Importing as ${format}`)), `${path}: ${JSON.stringify(logs)}`);
      assert.deepEqual(errors, []);
      assert.deepEqual(outside, [], 'nothing fetched from elsewhere');
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
});

test('summary --pprof: totals equal to the summary’s, Message under its holder Array under Queue', () => {
  const file = makeSnapshot('known-heap.mjs');
  const out = join(dir, 'known.pb');
  const r = spawnSync(process.execPath, [cliPath, 'summary', file, '--json', '--pprof', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `heapy: wrote ${out}\n`);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const summary = JSON.parse(r.stdout) as { count: number; size: number };
  const p = readPprof(readFileSync(out));
  assert.deepEqual(p.sampleTypes, ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(p.samples.reduce((a, x) => a + x.value[1]!, 0), summary.size);
  assert.equal(p.samples.reduce((a, x) => a + x.value[0]!, 0), summary.count);
  // The 30 Messages of known-heap.mjs live in queue.messages: each is dominated by that Array,
  // which the Queue dominates.
  const messages = p.samples.filter((x) => x.frames.at(-1)!.name === 'Message');
  assert.equal(messages.length, 1, JSON.stringify(messages.map((x) => stackText(x.frames))));
  assert.match(stackText(messages[0]!.frames), / > Queue > Array > Message$/);
  assert.equal(messages[0]!.value[0], 30);
  assert.ok(p.samples.every((x) => x.frames.length <= MAX_STACK_DEPTH));
});
