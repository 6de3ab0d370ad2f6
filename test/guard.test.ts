// The cost guard (issue 15): the estimate, the limit readings, and the refusal end to end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, HeapyError } from '../src/errors.js';
import { size } from '../src/cli/args.js';
import { cgroupBound, addressSpaceBound, estimateCaptureCost, guardCapture, NodeCountScanner, type CaptureFigures, type TextReader } from '../src/capture/cost.js';
import { listeningSocketsOf } from '../src/attach/proc.js';
import { hpy } from '../src/api/hpy.js';
import { freePort } from './helpers/net.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'heapy-guard-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Figures of a heap of `mb` MB in old space, as v8.getHeapSpaceStatistics() gives them. */
function figures(mb: number, largeMb = 0, rss = 2 * mb * MiB): CaptureFigures {
  return {
    memoryUsage: { rss, heapUsed: (mb + largeMb) * MiB },
    heapSpaceStatistics: [
      { space_name: 'old_space', space_used_size: mb * MiB },
      { space_name: 'lo_space', space_used_size: largeMb * MiB },
    ],
  };
}

test('size options: binary units, SI units, bare bytes; one message for a bad value', () => {
  assert.equal(size('--max-target-rss', '512MiB'), 512 * MiB);
  assert.equal(size('--max-target-rss', '2G'), 2 * GiB);
  assert.equal(size('--max-target-rss', '1.5gib'), 1.5 * GiB);
  assert.equal(size('--max-target-rss', '800MB'), 800e6);
  assert.equal(size('--max-target-rss', '4096'), 4096);
  for (const bad of ['', '0', '2X', '-1G', 'G']) {
    assert.throws(() => size('--max-target-rss', bad), (e: HeapyError) => e.exitCode === ExitCode.usage && e.message === `--max-target-rss: expected a size above zero such as 512MiB or 2G, got '${bad}'`);
  }
});

test('the estimate for a ~100 MB heap of ordinary objects is in the gigabytes V8 takes', () => {
  // Measured on Node 20: 115 MB heapUsed → +2.06 GB (reference/v8-and-node-facts.md); 136 MiB of
  // small objects → +4.0 GiB, 159 MiB of a service's cache → +2.5 GiB (bench/capture-cost.mjs).
  const e = estimateCaptureCost(figures(100));
  assert.equal(e.from, 'heap size');
  assert.ok(e.bytes > 2 * GiB && e.bytes < 5 * GiB, `${e.bytes}`);
  // The same bytes in large objects (big arrays, big strings) are few objects: far cheaper.
  const large = estimateCaptureCost(figures(1, 100));
  assert.ok(large.bytes < 0.2 * GiB, `${large.bytes}`);
  // The last snapshot's node count gives a second bound, scaled by the heap's growth since.
  const counted = estimateCaptureCost(figures(100), { nodes: 1_000_000, heapBytes: 100 * MiB });
  assert.equal(counted.from, 'last snapshot');
  assert.ok(counted.bytes < e.bytes && counted.bytes > 1.5e9, `${counted.bytes}`);
  const grown = estimateCaptureCost(figures(100), { nodes: 1_000_000, heapBytes: 50 * MiB });
  assert.equal(grown.bytes - 40 * MiB, 2 * (counted.bytes - 40 * MiB));
  // A count that would say more than the heap's size says is not taken.
  assert.equal(estimateCaptureCost(figures(1), { nodes: 10_000_000, heapBytes: MiB }).from, 'heap size');
  // What the last capture of the target did to its RSS is the third bound: its peak again (scaled
  // by the heap's growth) less the RSS now, plus 10 % of its extra; taken when it is the lowest.
  const watched = { peak: 1000 * MiB, extra: 800 * MiB };
  const repeat = estimateCaptureCost(figures(100, 0, 700 * MiB), { nodes: 1_000_000, heapBytes: 100 * MiB, watched });
  assert.equal(repeat.from, 'last capture');
  assert.equal(repeat.bytes, 300 * MiB + 80 * MiB);
  // Twice the heap: the peak grows by the extra once more, the headroom doubles.
  assert.equal(estimateCaptureCost(figures(100, 0, 700 * MiB), { nodes: 1_000_000, heapBytes: 50 * MiB, watched }).bytes, 1100 * MiB + 160 * MiB);
  // An RSS above the last peak (memory the capture left was returned, or the app grew) never goes below the headroom.
  assert.equal(estimateCaptureCost(figures(100, 0, 2000 * MiB), { nodes: 1_000_000, heapBytes: 100 * MiB, watched }).bytes, 80 * MiB);
});

test('the node count is read from the snapshot header', () => {
  const s = new NodeCountScanner();
  s.write('{"snapshot":{"meta":{"node_fields":["type"]},"node_co');
  assert.equal(s.count, undefined);
  s.write('unt":12345,"edge_count":6789},"nodes":[');
  assert.equal(s.count, 12345);
});

/** A reader over a fake file system. */
function files(map: Record<string, string>): TextReader {
  return async (path) => map[path];
}

test('cgroup v2: the tightest of the group and its ancestors, inactive page cache not counted', async () => {
  const read = files({
    '/proc/7/cgroup': '0::/app/web\n',
    '/proc/self/cgroup': '0::/heapy\n',
    '/sys/fs/cgroup/app/web/memory.max': 'max\n',
    '/sys/fs/cgroup/app/web/memory.current': `${100 * MiB}\n`,
    '/sys/fs/cgroup/app/memory.max': `${1 * GiB}\n`,
    '/sys/fs/cgroup/app/memory.current': `${700 * MiB}\n`,
    '/sys/fs/cgroup/app/memory.stat': `anon 1\ninactive_file ${200 * MiB}\nactive_file 5\n`,
    '/sys/fs/cgroup/memory.max': 'max\n',
  });
  const b = await cgroupBound(7, read);
  assert.equal(b?.available, 1 * GiB - 500 * MiB);
  assert.equal(b?.source, 'cgroup /app: limit 1.0 GiB, using 500.0 MiB');
});

test('cgroup v1: memory.limit_in_bytes and usage; no limit (2^63 rounded) is no bound', async () => {
  const read = files({
    '/proc/7/cgroup': '5:cpu,cpuacct:/x\n4:memory:/docker/abc\n0::/\n',
    '/proc/self/cgroup': '4:memory:/\n',
    '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': `${512 * MiB}\n`,
    '/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes': `${400 * MiB}\n`,
    '/sys/fs/cgroup/memory/docker/abc/memory.stat': `total_inactive_file ${100 * MiB}\n`,
    '/sys/fs/cgroup/memory/docker/memory.limit_in_bytes': '9223372036854771712\n',
    '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
  });
  assert.equal((await cgroupBound(7, read))?.available, 212 * MiB);
  const unlimited = files({ '/proc/8/cgroup': '4:memory:/\n', '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n', '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1\n' });
  assert.equal(await cgroupBound(8, unlimited), undefined);
});

test('RLIMIT_AS minus the mapped address space', async () => {
  const read = files({
    '/proc/7/limits': 'Limit                     Soft Limit           Hard Limit           Units     \nMax address space         4294967296           unlimited            bytes     \n',
    '/proc/7/status': 'Name:\tnode\nVmSize:\t 1048576 kB\n',
  });
  assert.equal((await addressSpaceBound(7, read))?.available, 3 * GiB);
});

test('the refusal names both figures and the alternatives; --force and a high ceiling let it pass', async () => {
  const read = files({ '/proc/meminfo': `MemTotal: 8000000 kB\nMemAvailable:    ${1024 * 1024} kB\n` });
  await assert.rejects(guardCapture(figures(100), { pid: 42 }, 'pid 42', undefined, read), (e: HeapyError) => {
    assert.equal(e.exitCode, ExitCode.captureTooCostly);
    assert.match(e.message, /^a heap snapshot would add about [\d.]+ GiB to pid 42's memory \(estimated from its heap size\), but it can get 1\.0 GiB \(host MemAvailable 1\.0 GiB\); use 'heapy alloc 42' \(the sampling profiler, no snapshot\) or --force$/);
    return true;
  });
  await guardCapture(figures(100), { pid: 42, force: true }, 'pid 42', undefined, read);
  await guardCapture(figures(100), { pid: 42, maxTargetRss: 100 * GiB }, 'pid 42', undefined, read);
  await assert.rejects(guardCapture(figures(100), { pid: 42, maxTargetRss: 1 * GiB }, 'pid 42', undefined, read), /--max-target-rss 1\.0 GiB leaves it 824\.0 MiB \(RSS 200\.0 MiB\)/);
});

test('hpy() refuses an in-process snapshot over its ceiling, and takes it with force', async () => {
  await assert.rejects(hpy({ guard: { maxTargetRss: 1 } }).heap(), (e: HeapyError) => e.exitCode === ExitCode.captureTooCostly);
  const h = hpy({ guard: { force: true, maxTargetRss: 1 } });
  assert.ok((await h.heap()).count > 0);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function heapy(args: string[], input = ''): Promise<Run> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, HEAPY_ATTACH_HISTORY: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function portClosed(pid: number, port: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (listeningSocketsOf(pid).some((s) => s.port === port)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

test('a live capture over --max-target-rss is refused (one line, exit 17, no file, inspector closed); --force captures', async () => {
  const inspectPort = await freePort();
  const child = spawn(process.execPath, [`--inspect-port=${inspectPort}`, join(root, 'test', 'programs', 'attach-ballast.mjs'), '20'], { stdio: ['ignore', 'pipe', 'inherit'], cwd: work });
  children.add(child);
  const pid = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { pid: number }).pid)));
  const file = join(work, 'refused.heapsnapshot');
  for (const args of [['snapshot', String(pid), '-o', file], ['heap', String(pid)], ['leaks', '--pid', String(pid), '--interval', '10ms']]) {
    const r = await heapy([...args, '--max-target-rss', '64MiB']);
    assert.equal(r.code, ExitCode.captureTooCostly, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^heapy: a heap snapshot would add about [\\d.]+ MiB to .*pid ${pid}.* but --max-target-rss 64\\.0 MiB leaves it [\\d.]+ (KiB|MiB|B) \\(RSS [\\d.]+ MiB\\); use 'heapy alloc ${pid}' \\(the sampling profiler, no snapshot\\) or --force\\n$`));
    assert.ok(await portClosed(pid, inspectPort), `${args[0]}: the inspector heapy opened is closed again`);
  }
  assert.deepEqual(readdirSync(work), [], 'nothing captured, no partial file');
  // attach: the ceiling holds for every dot-command; --force on one lets that one through.
  const session = await heapy(['attach', String(pid), '--max-target-rss', '64MiB'], '.heap\n.setref\n.heap --force\n');
  assert.equal(session.code, 0, session.stderr);
  // Each refusal one line (after the prompt, when input is piped).
  const refusals = session.stdout.split('\n').filter((l) => /^(heapy \d+> )?heapy: a heap snapshot would add about .* or --force$/.test(l));
  assert.equal(refusals.length, 2, session.stdout);
  assert.match(session.stdout, /Partition of a set of [\d,]+ objects/);
  assert.ok(await portClosed(pid, inspectPort), 'attach: the inspector heapy opened is closed again');
  const forced = await heapy(['snapshot', String(pid), '-o', file, '--max-target-rss', '64MiB', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(existsSync(file));
  assert.ok(await portClosed(pid, inspectPort));
  child.kill('SIGKILL');
});
