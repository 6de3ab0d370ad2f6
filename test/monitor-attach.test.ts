// `heapy monitor <pid>` and `heapy alloc` against real Node processes: V8 figures, GC events and
// marks read through the inspector, the inspector closed again afterwards, Ctrl-C, RSS-only
// targets; allocation sites from the sampling heap profiler (known allocating function first),
// the HTML flame view in Chromium, and --watch finding the growing site.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './helpers/browser.js';
import { listeningSocketsOf } from '../src/attach/proc.js';
import { readMonitorFile, type MonitorData, type MonitorRecord } from '../src/monitor/format.js';
import type { AllocationReport, GrowthStep } from '../src/monitor/alloc.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const prog = (name: string): string => join(root, 'test', 'programs', name);
const dir = mkdtempSync(join(tmpdir(), 'heapy-monitor-attach-test-'));
const children: ChildProcess[] = [];
const MiB = 1048576;

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function heapy(args: string[], onSpawn?: (child: ChildProcess) => void): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('spawn', () => onSpawn?.(child));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts test/programs/monitor-target.mjs with a random inspector port (9229 may be taken by other tests) and waits for 'ready'. */
async function startTarget(): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--inspect-port=0', prog('monitor-target.mjs')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEAPY_TEST_SECONDS: '60' } });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    c.stdout?.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    c.on('exit', () => reject(new Error('target exited early')));
  });
  return c;
}

const recs = <T extends MonitorRecord['type']>(d: MonitorData, type: T): Extract<MonitorRecord, { type: T }>[] =>
  d.records.filter((r) => r.type === type) as Extract<MonitorRecord, { type: T }>[];

test('monitor <pid> records RSS, V8 heap, GC events and marks, then closes the inspector it opened', async () => {
  const target = await startTarget();
  const pid = target.pid as number;
  assert.deepEqual(listeningSocketsOf(pid), [], 'no inspector open before');
  const out = join(dir, 'mon.dat');
  const r = await heapy(['monitor', '-q', '-d', '2s', '-o', out, String(pid)]);
  assert.equal(r.code, 0, r.stderr);
  const d = readMonitorFile(out);
  assert.equal(d.header.mode, 'monitor');
  assert.equal(d.header.pid, pid);
  assert.ok(recs(d, 'rss').length >= 8, `rss samples ${recs(d, 'rss').length}`);
  const heaps = recs(d, 'heap');
  assert.ok(heaps.length >= 5, `heap samples ${heaps.length}`);
  // The target keeps ~5 MB/s: heapUsed rises across the window.
  assert.ok((heaps.at(-1)?.heapUsed ?? 0) > (heaps[0]?.heapUsed ?? Infinity), 'heapUsed grows');
  assert.ok(recs(d, 'gc').length >= 1, 'GC events from the hook');
  const marks = recs(d, 'mark');
  assert.ok(marks.length >= 3, `marks ${marks.length}`);
  assert.ok(marks.every((m) => /^tick \d+$/.test(m.label)));
  assert.equal(d.records.at(-1)?.type, 'end');
  assert.equal(target.exitCode, null, 'the target keeps running');
  assert.deepEqual(listeningSocketsOf(pid), [], 'the inspector is closed again');
  // The hook is gone: a second monitor installs a fresh one and works the same.
  const r2 = await heapy(['monitor', '-q', '-d', '1s', '-o', join(dir, 'mon2.dat'), String(pid)]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(recs(readMonitorFile(join(dir, 'mon2.dat')), 'heap').length >= 3);
  target.kill('SIGTERM');
});

test('monitor stops cleanly on SIGINT; a non-Node process gets RSS only; a missing pid is an error', async () => {
  const target = await startTarget();
  const pid = target.pid as number;
  const out = join(dir, 'sigint.dat');
  let heapyChild: ChildProcess | undefined;
  const running = heapy(['monitor', '-q', '-o', out, String(pid)], (c) => (heapyChild = c));
  // Interrupt once heap figures are flowing.
  for (let i = 0; i < 400; i++) {
    let text = '';
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      // not created yet
    }
    if ((text.match(/"type":"heap"/g) ?? []).length >= 3) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  heapyChild?.kill('SIGINT');
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readMonitorFile(out).records.at(-1)?.type, 'end');
  assert.deepEqual(listeningSocketsOf(pid), [], 'the inspector is closed again');
  assert.equal(target.exitCode, null);
  target.kill('SIGTERM');

  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(sleeper);
  const rssOnly = await heapy(['monitor', '-d', '600ms', '-o', join(dir, 'sleep.dat'), String(sleeper.pid)]);
  assert.equal(rssOnly.code, 0, rssOnly.stderr);
  assert.match(rssOnly.stderr, /RSS only: not a Node\.js process/);
  const d = readMonitorFile(join(dir, 'sleep.dat'));
  assert.ok(recs(d, 'rss').length >= 3);
  assert.equal(recs(d, 'heap').length, 0);
  sleeper.kill('SIGKILL');

  const missing = await heapy(['monitor', '-d', '1s', '999999999']);
  assert.equal(missing.code, 10);
  assert.match(missing.stderr, /no process with pid 999999999/);
});

test('alloc -- command puts the known allocating function first, with its line, and writes a flame view', async () => {
  const html = join(dir, 'alloc.html');
  // Both forms at once (each runs the 3 s program).
  const [r, text] = await Promise.all([
    heapy(['alloc', '--json', '--html', html, '--', process.execPath, prog('monitor-alloc.mjs')]),
    heapy(['alloc', '-n', '3', '--', process.execPath, prog('monitor-alloc.mjs')]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Debugger listening/, 'the inspector noise is filtered out');
  const report = JSON.parse(r.stdout) as AllocationReport;
  const first = report.sites[0];
  assert.ok(first);
  assert.equal(first.functionName, 'grow');
  assert.ok(first.url.endsWith('/test/programs/monitor-alloc.mjs'), first.url);
  // `function grow() {` is line 6; V8 gives the position of the function's parameter list.
  assert.equal(first.line, 6);
  assert.equal(first.column, 14);
  assert.ok(first.share > 0.8, `share ${first.share}`);
  // The program keeps ~30 MB over 3 s: the sampled live bytes are in that range.
  assert.ok(first.bytes > 5 * MiB, `bytes ${first.bytes}`);
  assert.deepEqual(first.path.slice(-2).map((f) => f.functionName), ['(anonymous)', 'grow']);
  assert.ok(Math.abs(report.sites.reduce((a, s) => a + s.share, 0) - 1) < 1e-9);

  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^ +0 +\d+\.\d MiB +\d+\.\d +\d+\.\d +\d+ {2}grow {2}\S*test\/programs\/monitor-alloc\.mjs:6:14$/m);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + html);
    assert.ok((await page.locator('svg.flame g.frame').count()) >= 4, 'frames drawn');
    const growFrames = await page.locator('svg.flame g.frame title').filter({ hasText: /^grow / }).count();
    assert.ok(growFrames >= 1, 'a grow frame');
    assert.equal(await page.locator('table.sites tbody tr td.fn').first().textContent(), 'grow');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('alloc <pid> --watch reports the growing site in successive profiles and leaves the target as found', async () => {
  const target = await startTarget();
  const pid = target.pid as number;
  const r = await heapy(['alloc', '--watch', '--json', '--every', '700ms', '-d', '3.5s', String(pid)]);
  assert.equal(r.code, 0, r.stderr);
  const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as GrowthStep);
  assert.ok(steps.length >= 3, `${steps.length} steps`);
  assert.ok(steps.at(-1)!.totalBytes > steps[0]!.totalBytes, 'live sampled bytes rise');
  // The retaining callback is the arrow function on line 10 of monitor-target.mjs: it grows in
  // successive profiles, and nothing else grows as many profiles in a row. (On a loaded machine a
  // window may miss the target's timer, so not every step needs to show it.)
  const all = steps.flatMap((s) => s.growing);
  const mine = all.filter((g) => g.location.url.endsWith('/test/programs/monitor-target.mjs'));
  assert.ok(mine.length >= 2, `growing in ${mine.length} steps: ${JSON.stringify(all.map((g) => g.key))}`);
  assert.ok(mine.every((g) => g.location.line === 10 && g.functionName === '(anonymous)'));
  const best = all.reduce((a, b) => (b.streak > a.streak ? b : a));
  assert.ok(best.streak >= 2 && mine.includes(best), `longest streak: ${best.key} (${best.streak})`);
  assert.deepEqual(listeningSocketsOf(pid), [], 'the inspector is closed again');
  assert.equal(target.exitCode, null);
  target.kill('SIGTERM');
});
