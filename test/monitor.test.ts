// `heapy run`, the data file, `plot`, `peak`, `list`, against real child programs with known memory
// shapes (test/programs/monitor-*.mjs): steady, leaking, spiking, a two-worker cluster. The plots
// are opened in a real headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { parseMonitorText, readMonitorFile, type MonitorData, type MonitorRecord } from '../src/monitor/format.js';
import { DEFAULT_METRICS, buildTimeline, summarize, trendOf, trendVerdict, type Series } from '../src/monitor/series.js';
import { sparkline, renderLiveLine } from '../src/monitor/live.js';
import { decimate } from '../src/monitor/plot.js';
import { niceTicks } from '../src/util/format.js';
import { HeapyError } from '../src/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const prog = (name: string): string => join(root, 'test', 'programs', name);
const dir = mkdtempSync(join(tmpdir(), 'heapy-monitor-test-'));
const MiB = 1048576;

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs the heapy CLI; `onSpawn` sees the child (for signals, mid-run reads). */
function heapy(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd ?? dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('spawn', () => opts.onSpawn?.(child.pid as number));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const recs = <T extends MonitorRecord['type']>(d: MonitorData, type: T): Extract<MonitorRecord, { type: T }>[] =>
  d.records.filter((r) => r.type === type) as Extract<MonitorRecord, { type: T }>[];

function seriesOf(d: MonitorData, key: string, window?: [number, number]): Series {
  const s = buildTimeline(d, ['rss', 'heapUsed', 'heapTotal', 'external'], window).series.find((x) => x.key === key);
  assert.ok(s, `series ${key} in ${d.source}`);
  return s;
}

async function readWhenSampled(path: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if ((text.match(/"type":"rss"/g) ?? []).length >= 3) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  return '';
}

let steady: MonitorData;
let leak: MonitorData;
let spike: MonitorData;
let cluster: MonitorData;
let clusterNoChildren: MonitorData;
let steadyMidRun: string;
let browser: Browser | undefined;

before(async () => {
  // The recordings are independent: make them at the same time to keep the file under ~10 s.
  const f = (n: string): string => join(dir, n);
  let midRun: Promise<string> | undefined;
  const runs = await Promise.all([
    heapy(['run', '-q', '-o', f('steady.dat'), '--', process.execPath, prog('monitor-steady.mjs')], {
      // Read the file while the command still runs (as tail -f would): the first read that shows
      // three RSS samples is kept; the test then checks it has no end record yet.
      onSpawn: () => (midRun = readWhenSampled(f('steady.dat'))),
    }),
    heapy(['run', '-q', '-o', f('leak.dat'), '--', process.execPath, prog('monitor-leak.mjs')]),
    heapy(['run', '-q', '-o', f('spike.dat'), '--', process.execPath, '--expose-gc', prog('monitor-spike.mjs')]),
    heapy(['run', '-q', '--include-children', '-o', f('cluster.dat'), '--', process.execPath, prog('monitor-cluster.cjs')]),
    heapy(['run', '-q', '-o', f('cluster-parent-only.dat'), '--', process.execPath, prog('monitor-cluster.cjs')]),
  ]);
  for (const r of runs) assert.equal(r.code, 0, `heapy run failed: ${r.stderr}`);
  steadyMidRun = await (midRun as Promise<string>);
  steady = readMonitorFile(f('steady.dat'));
  leak = readMonitorFile(f('leak.dat'));
  spike = readMonitorFile(f('spike.dat'));
  cluster = readMonitorFile(f('cluster.dat'));
  clusterNoChildren = readMonitorFile(f('cluster-parent-only.dat'));
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openInBrowser(path: string): Promise<{ errors: string[]; count: (sel: string) => Promise<number>; text: (sel: string) => Promise<string[]>; close: () => Promise<void> }> {
  browser ??= await launchChromium();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
  await page.goto('file://' + path, { waitUntil: 'load' });
  return {
    errors,
    count: (sel) => page.locator(sel).count(),
    text: (sel) => page.locator(sel).allTextContents(),
    close: () => page.close(),
  };
}

test('the data file: versioned header, samples of RSS and V8 heap, exit and end records, readable while written', () => {
  const raw = readFileSync(join(dir, 'steady.dat'), 'utf8');
  assert.match(raw.split('\n')[0] as string, /^# heapy-monitor 1 \{.*"mode":"run".*\}$/);
  assert.equal(steady.header.interval, 0.1);
  assert.deepEqual(steady.header.command.slice(1), [prog('monitor-steady.mjs')]);
  // 3 s at 100 ms is about 30 ticks; a loaded machine may lose some, never most.
  assert.ok(recs(steady, 'rss').length >= 15, `rss samples: ${recs(steady, 'rss').length}`);
  assert.ok(recs(steady, 'heap').length >= 10, `heap samples: ${recs(steady, 'heap').length}`);
  const h = recs(steady, 'heap')[0];
  assert.ok(h && h.heapUsed > 1 * MiB && h.heapTotal >= h.heapUsed && h.spaces?.old_space, 'heap record has figures and spaces');
  // The first sample may be taken while node is still starting (a few MiB); later ones hold the 50,000-row table.
  assert.ok(recs(steady, 'rss').every((r) => r.pid === steady.header.pid && r.rss > 0));
  assert.ok(Math.max(...recs(steady, 'rss').map((r) => r.rss)) > 20 * MiB);
  const exit = recs(steady, 'exit');
  assert.equal(exit.length, 1);
  assert.equal(exit[0]?.code, 0);
  assert.equal(steady.records.at(-1)?.type, 'end');
  assert.equal(steady.partialTail, false);
  // Mid-run the file already held the header and samples, but no end record yet.
  const mid = parseMonitorText(steadyMidRun, 'mid-run');
  assert.ok(recs(mid, 'rss').length >= 3, 'samples visible while the command runs');
  assert.equal(recs(mid, 'end').length, 0);
});

test('the reader tolerates a half-written last line and rejects bad input with typed errors', () => {
  const header = '# heapy-monitor 1 {"mode":"run","start":1000,"command":["x"],"cwd":"/","pid":1,"interval":0.1,"includeChildren":false,"heapy":"0","host":"h"}';
  const d = parseMonitorText(`${header}\n{"type":"rss","t":0.1,"pid":1,"rss":100}\n# a comment\n{"type":"future","t":0.2}\n{"type":"rss","t":0.2,"pid":1,"rs`, 'x');
  assert.equal(d.records.length, 1);
  assert.equal(d.partialTail, true);
  assert.throws(() => parseMonitorText(`${header}\n{"type":"rss",\n{"type":"end","t":1}\n`, 'bad.dat'), (e: unknown) => e instanceof HeapyError && /bad\.dat:2/.test(e.message));
  assert.throws(() => parseMonitorText(header.replace(' 1 ', ' 2 '), 'new.dat'), /newer/);
  assert.throws(() => parseMonitorText('hello\n', 'other.txt'), /not a heapy monitor file/);
});

test('the leaking program has a positive slope, the steady one does not', () => {
  const from = (d: MonitorData, label: string): [number, number] => {
    const m = recs(d, 'mark').find((x) => x.label === label);
    assert.ok(m, `mark ${label}`);
    return [m.t, Infinity];
  };
  const leakHeap = trendOf(seriesOf(leak, `heapUsed:${leak.header.pid}`, from(leak, 'leaking')));
  const leakRss = trendOf(seriesOf(leak, `rss:${leak.header.pid}`, from(leak, 'leaking')));
  const steadyHeap = trendOf(seriesOf(steady, `heapUsed:${steady.header.pid}`, from(steady, 'steady')));
  assert.ok(leakHeap && leakRss && steadyHeap);
  // The leak keeps ~10 MB/s on an idle machine; a loaded one runs fewer timer ticks (1.6 MiB/s seen
  // at load average 16 on 2 cores), so the bound is well below that and well above the steady one's.
  assert.ok(leakHeap.slope > 0.5 * MiB, `leak heapUsed slope ${leakHeap.slope / MiB} MiB/s`);
  assert.ok(leakRss.slope > 0, `leak RSS slope ${leakRss.slope / MiB} MiB/s`);
  assert.equal(trendVerdict(leakHeap), 'growing');
  assert.ok(steadyHeap.slope < 0.5 * MiB, `steady heapUsed slope ${steadyHeap.slope / MiB} MiB/s`);
  assert.notEqual(trendVerdict(steadyHeap), 'growing');
});

test('the peak is at the spike, marks and GC events are recorded', async () => {
  const marks = recs(spike, 'mark');
  assert.deepEqual(marks.map((m) => m.label), ['spike', 'freed']);
  const [m0, m1] = marks as [MonitorRecord & { t: number }, MonitorRecord & { t: number }];
  const s = summarize(spike);
  assert.ok(s.peakRss && s.peakHeapUsed);
  // RSS is sampled every 100 ms, so the peak may be seen up to one interval after the 'freed' mark.
  assert.ok(s.peakRss.t >= m0.t && s.peakRss.t <= m1.t + 0.15, `peak RSS at ${s.peakRss.t}, spike ${m0.t}..${m1.t}`);
  const before = seriesOf(spike, `rss:${spike.header.pid}`, [0, m0.t]);
  const baseline = before.v[before.v.length - 1] as number;
  assert.ok(s.peakRss.value - baseline > 100 * MiB, `peak ${s.peakRss.value / MiB} MiB vs baseline ${baseline / MiB} MiB`);
  assert.ok(s.peakHeapUsed.t >= m0.t && s.peakHeapUsed.t <= m1.t + 0.01, `peak heapUsed at ${s.peakHeapUsed.t}`);
  // gc() after freeing is a full mark-compact.
  assert.ok(recs(spike, 'gc').some((g) => g.kind === 'major' && g.t >= m0.t), 'a major GC after the spike');

  const peakText = await heapy(['peak', join(dir, 'spike.dat')]);
  assert.equal(peakText.code, 0);
  assert.match(peakText.stdout, new RegExp(`peak RSS +${(s.peakRss.value / MiB).toFixed(1)} MiB at ${s.peakRss.t.toFixed(2)} s`));
  assert.match(peakText.stdout, /mark \d+\.\d\d s {2}spike/);
  const peakJson = await heapy(['peak', '--json', join(dir, 'spike.dat')]);
  assert.deepEqual((JSON.parse(peakJson.stdout) as { recordings: { peakRss: unknown }[] }).recordings.map((r) => r.peakRss), [s.peakRss]);
});

test('a cluster with --include-children has samples for the primary and both workers', () => {
  const pids = new Set(recs(cluster, 'rss').map((r) => r.pid));
  assert.equal(pids.size, 3, `pids with RSS samples: ${[...pids].join(', ')}`);
  const heapPids = new Set(recs(cluster, 'heap').map((r) => r.pid));
  assert.equal(heapPids.size, 3, 'the probe reports from the workers too');
  const procs = recs(cluster, 'proc');
  const workers = procs.filter((p) => p.pid !== cluster.header.pid);
  assert.equal(workers.length, 2);
  assert.ok(workers.every((w) => w.ppid === cluster.header.pid), 'workers are children of the primary');
  // Each worker holds a 20 MB buffer: its RSS passes 20 MiB.
  for (const w of workers) assert.ok(Math.max(...recs(cluster, 'rss').filter((r) => r.pid === w.pid).map((r) => r.rss)) > 20 * MiB);
  assert.equal(recs(cluster, 'exit').length, 3, 'an exit record per process');
  // Without --include-children only the primary is sampled.
  assert.deepEqual([...new Set(recs(clusterNoChildren, 'rss').map((r) => r.pid))], [clusterNoChildren.header.pid]);
  assert.deepEqual([...new Set(recs(clusterNoChildren, 'heap').map((r) => r.pid))], [clusterNoChildren.header.pid]);
});

test('heapy run exits with the command\'s code, forwards SIGINT, and rejects a missing command', async () => {
  const r3 = await heapy(['run', '-q', '-o', join(dir, 'exit3.dat'), '--', process.execPath, '-e', 'setTimeout(() => process.exit(3), 300)']);
  assert.equal(r3.code, 3);
  assert.equal(recs(readMonitorFile(join(dir, 'exit3.dat')), 'exit')[0]?.code, 3);
  let heapyPid = 0;
  const waiting = heapy(['run', '-q', '-o', join(dir, 'sigint.dat'), '--', process.execPath, '-e', 'setTimeout(() => {}, 20000)'], { onSpawn: (p) => (heapyPid = p) });
  // Wait until the command is running (the file has an RSS sample), then interrupt heapy only.
  for (let i = 0; i < 200 && !(existsSync(join(dir, 'sigint.dat')) && readFileSync(join(dir, 'sigint.dat'), 'utf8').includes('"rss"')); i++) await new Promise((r) => setTimeout(r, 50));
  process.kill(heapyPid, 'SIGINT');
  const ri = await waiting;
  assert.equal(ri.code, 130, 'killed by SIGINT: 128 + 2');
  assert.equal(recs(readMonitorFile(join(dir, 'sigint.dat')), 'exit')[0]?.signal, 'SIGINT');
  const missing = await heapy(['run', '-q', '--', 'heapy-no-such-command-xyz']);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /heapy: cannot run 'heapy-no-such-command-xyz': command not found/);
  const usage = await heapy(['run']);
  assert.equal(usage.code, 2);
});

test('plot writes an SVG that renders in Chromium with one path per series, the peak, marks and GC ticks', async () => {
  const out = join(dir, 'spike.svg');
  const r = await heapy(['plot', join(dir, 'spike.dat'), '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const expected = buildTimeline(spike, DEFAULT_METRICS).series.length;
  assert.equal(expected, 4, 'one Node process: rss, heapUsed, heapTotal, external');
  const page = await openInBrowser(out);
  try {
    assert.equal(await page.count('path.series'), expected);
    assert.equal(await page.count('circle.peak'), expected);
    assert.equal(await page.count('g.mark'), 2);
    assert.ok((await page.count('path.gc')) >= 1, 'GC ticks');
    assert.equal(await page.count('path.trend'), 0, 'no trend unless asked');
    const label = (await page.text('text.peak-label'))[0] ?? '';
    const pk = summarize(spike).peakRss;
    assert.ok(pk);
    assert.equal(label, `peak ${Number((pk.value / MiB).toFixed(1))} MiB at ${Number(pk.t.toFixed(2))} s`);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.close();
  }
});

test('plot writes a self-contained HTML page with a table, trend lines and a window', async () => {
  const out = join(dir, 'cluster.html');
  const r = await heapy(['plot', join(dir, 'cluster.dat'), '-o', out, '--trend']);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no script, no network');
  const expected = buildTimeline(cluster, DEFAULT_METRICS).series.length;
  assert.equal(expected, 12, 'three Node processes x four series');
  const page = await openInBrowser(out);
  try {
    assert.equal(await page.count('path.series'), expected);
    assert.equal(await page.count('path.trend'), expected);
    assert.equal(await page.count('table.series-table tbody tr'), expected);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.close();
  }
  // The leak's heapUsed trend line carries a positive slope; a window cuts the series.
  const leakSvg = join(dir, 'leak.svg');
  const t0 = recs(leak, 'mark')[0]?.t ?? 0;
  const win = `${t0.toFixed(3)},${(t0 + 1.5).toFixed(3)}`;
  assert.equal((await heapy(['plot', join(dir, 'leak.dat'), '-o', leakSvg, '--trend', '--series', 'heapUsed', '--window', win])).code, 0);
  const svg = readFileSync(leakSvg, 'utf8');
  assert.equal((svg.match(/class="series"/g) ?? []).length, 1);
  const slope = Number(/class="trend"[^>]*data-slope="([-\d.]+)"/.exec(svg)?.[1]);
  assert.ok(slope > 0, `slope ${slope}`);
  const bad = await heapy(['plot', join(dir, 'leak.dat'), '-o', join(dir, 'x.png')]);
  assert.equal(bad.code, 2);
  const notData = join(dir, 'not-data.txt');
  writeFileSync(notData, 'hello\n');
  const badFile = await heapy(['plot', notData, '-o', join(dir, 'y.svg')]);
  assert.equal(badFile.code, 6);
});

test('list shows default-named files with start, duration, peak and command; plot and peak default to the newest', async () => {
  const sub = mkdtempSync(join(dir, 'list-'));
  // Two runs started in the same second must not overwrite each other.
  const [a, b] = await Promise.all([
    heapy(['run', '-q', '--', process.execPath, '-e', 'setTimeout(() => {}, 400)'], { cwd: sub }),
    heapy(['run', '-q', '--', process.execPath, '-e', 'const k = Buffer.alloc(40e6, 1); setTimeout(() => k, 600)'], { cwd: sub }),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const files = readdirSync(sub).filter((n) => /^heapy-run-\d{14}(-\d+)?\.dat$/.test(n));
  assert.equal(files.length, 2, `files: ${readdirSync(sub).join(', ')}`);
  const r = await heapy(['list', '--json'], { cwd: sub });
  const rows = (JSON.parse(r.stdout) as { recordings: Array<{ file: string; duration: number; peakRss: number; command: string[] }> }).recordings;
  assert.equal(rows.length, 2);
  assert.ok(rows.every((x) => x.duration > 0.3 && x.command[0] === process.execPath));
  assert.ok(rows.some((x) => x.peakRss > 40 * MiB), 'the 40 MB buffer shows in one peak');
  const text = await heapy(['list'], { cwd: sub });
  assert.equal(text.stdout.trim().split('\n').length, 2);
  assert.match(text.stdout, /^ {2}0 {2}heapy-run-\d{14}(-\d+)?\.dat +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+\.\d s +\d+\.\d MiB {2}\S*node -e /);
  const p = await heapy(['peak'], { cwd: sub });
  assert.equal(p.code, 0);
  assert.match(p.stdout, /peak RSS/);
  const pl = await heapy(['plot'], { cwd: sub });
  assert.equal(pl.code, 0, pl.stderr);
  assert.equal(readdirSync(sub).filter((n) => n.endsWith('.html')).length, 1);
  const empty = mkdtempSync(join(dir, 'empty-'));
  assert.equal((await heapy(['peak'], { cwd: empty })).code, 3);
});

test('live view pieces: the sparkline keeps a one-sample spike, the status line fits the terminal', () => {
  const values = Array.from({ length: 100 }, (_, i) => (i === 57 ? 100 : 10));
  const line = sparkline(values, 20);
  assert.equal(line.length, 20);
  assert.equal([...line].filter((c) => c === '█').length, 1, line);
  const status = renderLiveLine({ t: 2.5, processes: 3, rss: 200 * MiB, peakRss: 250 * MiB, peakT: 1.2, heapUsed: 40 * MiB, history: values }, 80);
  assert.ok(status.length < 80, status);
  assert.match(status, /rss 200\.0 MiB {2}\(3 procs\) {2}heap 40\.0 MiB {2}peak 250\.0 MiB @1\.2s/);
});

test('plot helpers: nice ticks and min/max decimation keep the spike', () => {
  assert.deepEqual(niceTicks(0, 9.3, 5), [0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(0, 230, 6), [0, 50, 100, 150, 200]);
  const n = 100_000;
  const t = new Float64Array(n).map((_, i) => i / 1000);
  const v = new Float64Array(n).map((_, i) => (i === 54_321 ? 1e9 : 1));
  const idx = decimate(t, v, 0, 100, 800);
  assert.ok(idx.length < 4 * 800 + 4, `${idx.length} points`);
  assert.ok(idx.includes(54_321), 'the spike survives decimation');
  assert.deepEqual([...idx].sort((a, b) => a - b), idx, 'time order kept');
});

test('live view in a real terminal (tmux): a status line pinned to the bottom row while the command prints above', async () => {
  const sock = `heapy-monitor-live-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', sock, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const out = join(dir, 'live.dat');
  const script = "let n = 0; const t = setInterval(() => { console.log('line', ++n); if (n === 25) clearInterval(t); }, 100);";
  const cmd = [process.execPath, bin, 'run', '-o', out, '--', process.execPath, '-e', script].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  tmux('new-session', '-d', '-s', 'live', '-x', '100', '-y', '12', `${cmd}; echo EXIT=$?; sleep 30`);
  try {
    let during = '';
    for (let i = 0; i < 200; i++) {
      during = tmux('capture-pane', '-p', '-t', 'live');
      if (/line 1[0-9]/.test(during)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const rows = during.split('\n');
    // 12 rows: the last one is the status, the command's lines scroll in the 11 above it.
    assert.match(rows[11] ?? '', /^heapy \d+\.\ds {2}rss \d+\.\d MiB {2}heap \d+\.\d MiB {2}peak \d+\.\d MiB @\d+\.\ds {2}[▁▂▃▄▅▆▇█]+/, during);
    assert.ok(rows.slice(0, 11).some((r) => /^line \d+$/.test(r)), during);
    let done = '';
    for (let i = 0; i < 400 && !/EXIT=/.test(done); i++) {
      await new Promise((r) => setTimeout(r, 50));
      done = tmux('capture-pane', '-p', '-t', 'live');
    }
    assert.match(done, /line 25\n/);
    assert.match(done, /heapy: .*live\.dat: \d+\.\d s, peak RSS \d+\.\d MiB at \d+\.\d s/);
    assert.match(done, /EXIT=0/);
    assert.doesNotMatch(done, /^heapy \d+\.\ds {2}rss/m, 'the status line is cleared at the end');
  } finally {
    tmux('kill-server');
  }
});
