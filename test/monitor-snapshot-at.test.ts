// `heapy monitor <pid> --snapshot-at`: against a real leaking Node program (test/programs/leak-later.mjs,
// which starts leaking when told, once the monitor records), one heap snapshot
// when the threshold is first crossed (a file that loads, taken after the crossing the recording
// shows, recording going on after it), and a sampling heap profile instead when --max-target-rss
// makes the cost guard refuse the snapshot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMonitorFile, type MonitorData, type MonitorRecord } from '../src/monitor/format.js';
import { readRss } from '../src/monitor/proc.js';
import { loadSnapshotFile } from '../src/snapshot/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const dir = mkdtempSync(join(tmpdir(), 'heapy-snapshot-at-test-'));
const children: ChildProcess[] = [];
const MiB = 1048576;

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** test/programs/leak-later.mjs with an inspector port of its own, waiting for SIGUSR2 to leak ~10 MB/s. */
async function startLeak(env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--inspect-port=0', join(root, 'test/programs/leak-later.mjs')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => {
      if (String(d).includes('ready')) resolve();
    });
    c.on('exit', () => reject(new Error('target exited early')));
  });
  return c;
}

/**
 * Runs `heapy monitor`; once it records (its "monitoring" line) and 300 ms more, `start()` makes
 * the target leak; when it prints "still recording", 1.5 s more, then Ctrl-C.
 */
function monitorUntilCaptured(args: string[], start: () => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'monitor', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    let started = false;
    let stopping = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (!started && stderr.includes('heapy: monitoring')) {
        started = true;
        setTimeout(start, 300);
      }
      if (!stopping && stderr.includes('still recording')) {
        stopping = true;
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    });
    // A bound well past a capture of a ~40 MB heap on a loaded machine.
    const limit = setTimeout(() => child.kill('SIGINT'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stderr });
    });
  });
}

const recs = <T extends MonitorRecord['type']>(d: MonitorData, type: T): Extract<MonitorRecord, { type: T }>[] =>
  d.records.filter((r) => r.type === type) as Extract<MonitorRecord, { type: T }>[];

test('monitor --snapshot-at heap:SIZE takes one snapshot after heapUsed crosses SIZE and keeps recording', async () => {
  const target = await startLeak();
  const pid = target.pid!;
  const out = join(dir, 'heap.dat');
  const r = await monitorUntilCaptured(['-i', '100ms', '--snapshot-at', 'heap:24MiB', '-o', out, String(pid)], () => target.kill('SIGUSR2'));
  assert.equal(r.code, 0, r.stderr);
  const d = readMonitorFile(out);
  const captures = recs(d, 'capture');
  assert.equal(captures.length, 1, 'exactly one capture');
  const c = captures[0]!;
  assert.equal(c.kind, 'heapsnapshot', c.note);
  assert.equal(c.metric, 'heap');
  assert.equal(c.threshold, 24 * MiB);
  assert.equal(c.file, join(dir, 'heap.heapsnapshot'));
  assert.match(r.stderr, new RegExp(`wrote heap snapshot ${c.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  // Taken after the crossing the recording shows: heap samples below the threshold before it, and
  // the sample that crossed it at the capture's time.
  const heaps = recs(d, 'heap');
  assert.ok(heaps.some((h) => h.t < c.t && h.heapUsed < c.threshold), 'below the threshold before');
  const crossing = heaps.find((h) => h.heapUsed >= c.threshold)!;
  assert.ok(crossing && Math.abs(crossing.t - c.t) < 0.5 && crossing.heapUsed === c.value, `first sample at or above it: ${JSON.stringify(crossing)} vs t=${c.t}`);
  // The snapshot loads and holds the leak: tens of thousands of the leaked objects' strings.
  const snap = await loadSnapshotFile(c.file!);
  assert.ok(snap.nodeCount > 100_000, `nodes ${snap.nodeCount}`);
  assert.equal(readFileSync(c.file!).length, c.bytes);
  // Recording went on after the snapshot was written: RSS and heap samples later than `done`.
  assert.ok(c.done > c.t);
  assert.ok(recs(d, 'rss').filter((x) => x.t > c.done).length >= 3, 'RSS samples after the capture');
  assert.ok(heaps.some((h) => h.t > c.done && h.heapUsed > c.value), 'heap samples after the capture, still growing');
  // While V8 wrote it, /proc sampling went on (the RSS ticks show the capture's cost).
  assert.ok(recs(d, 'rss').filter((x) => x.t > c.t && x.t < c.done).length >= 1, 'RSS samples during the capture');
});

test('monitor --snapshot-at SIZE with a --max-target-rss the snapshot would pass writes a sampling heap profile instead', async () => {
  const target = await startLeak();
  const pid = target.pid!;
  // Attaching opens the inspector (a few MB); the leak adds 30 MiB in about 3 s.
  const threshold = Math.ceil((readRss(pid)! + 40 * MiB) / MiB);
  const out = join(dir, 'rss.dat');
  const r = await monitorUntilCaptured(['--snapshot-at', `${threshold}MiB`, '--max-target-rss', `${threshold + 64}MiB`, '--profile-for', '1s', '-o', out, String(pid)], () =>
    target.kill('SIGUSR2'),
  );
  assert.equal(r.code, 0, r.stderr);
  const d = readMonitorFile(out);
  const c = recs(d, 'capture')[0]!;
  assert.equal(c.kind, 'heapprofile', JSON.stringify(c));
  assert.equal(c.metric, 'rss');
  assert.match(c.note ?? '', /cost guard refused a snapshot .*--max-target-rss/);
  assert.match(r.stderr, /cost guard refused a snapshot/);
  assert.equal(existsSync(join(dir, 'rss.heapsnapshot')), false, 'no snapshot written');
  assert.equal(c.file, join(dir, 'rss.heapprofile'));
  const profile = JSON.parse(readFileSync(c.file!, 'utf8')) as { head: { callFrame: { functionName: string }; children: unknown[] }; samples: unknown[] };
  assert.ok(profile.head.children.length > 0 && profile.samples.length > 0, 'a profile with samples of the leak');
  // Crossed by the RSS the recording shows, and recorded on afterwards.
  const rss = recs(d, 'rss');
  assert.ok(rss.some((x) => x.t < c.t && x.rss < c.threshold), 'below the threshold before');
  assert.ok(c.value >= c.threshold && rss.some((x) => Math.abs(x.t - c.t) < 0.2 && x.rss === c.value));
  assert.ok(c.done - c.t >= 1, 'sampled for --profile-for');
  assert.ok(rss.filter((x) => x.t > c.done).length >= 3, 'RSS samples after the capture');
});

test('monitor --snapshot-at: when the guard refuses and the target already runs its own sampling profiler, heapy leaves it running and records nothing', async () => {
  const target = await startLeak({ HEAPY_TEST_OWN_SAMPLER: '1' });
  const pid = target.pid!;
  const threshold = Math.ceil((readRss(pid)! + 40 * MiB) / MiB);
  const out = join(dir, 'busy.dat');
  const r = await monitorUntilCaptured(['--snapshot-at', `${threshold}MiB`, '--max-target-rss', `${threshold + 64}MiB`, '--profile-for', '1s', '-o', out, String(pid)], () =>
    target.kill('SIGUSR2'),
  );
  assert.equal(r.code, 0, r.stderr);
  const c = recs(readMonitorFile(out), 'capture')[0]!;
  assert.equal(c.kind, 'failed', JSON.stringify(c));
  assert.match(c.note ?? '', /cost guard refused a snapshot .*already runs a sampling heap profiler \(another tool\), which heapy left alone: nothing recorded/);
  assert.match(r.stderr, /the capture failed \(.*another tool.*\); still recording/);
  assert.equal(existsSync(join(dir, 'busy.heapprofile')), false, 'no profile written');
  // The target's own sampler survived heapy's visit.
  const said = new Promise<string>((resolve) => {
    let text = '';
    target.stdout!.on('data', (d: Buffer) => {
      text += d;
      const m = /own sampler: (\w+)/.exec(text);
      if (m) resolve(m[1]!);
    });
  });
  target.kill('SIGHUP');
  assert.equal(await said, 'running');
});
