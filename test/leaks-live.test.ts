// `heapy leaks --pid`: three snapshots of a running, unmodified Node process taken over the
// inspector at an interval, the leak named from them, and the process left as it was found.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../src/errors.js';
import type { LeakReport } from '../src/analyses/leaks.js';
import { freePort } from './helpers/net.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'heapy-leaks-live-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Starts the leaking service with a free inspector port (not open yet: heapy opens it). */
async function startService(mode: 'leak' | 'steady' = 'leak'): Promise<{ child: ChildProcess; pid: number; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [`--inspect-port=${port}`, join(root, 'test', 'programs', 'leak-live.mjs'), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`leak-live.mjs exited (${code})`)));
  });
  return { child, pid: (JSON.parse(line) as { pid: number }).pid, port };
}

function heapy(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }>; stderr: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))), stderr: () => stderr };
}

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('heapy leaks --pid names the Ticket backlog of a running service and closes the inspector again', async () => {
  const svc = await startService();
  const save = join(work, 'saved');
  const h = heapy(['leaks', '--pid', String(svc.pid), '--port', String(svc.port), '--interval', '1s', '--save', save, '--json']);
  const r = await h.done;
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const report = JSON.parse(r.stdout) as LeakReport & { process: string; intervalMs: number };
  assert.equal(report.intervalMs, 1000);
  assert.match(report.process, new RegExp(`^pid ${svc.pid} `));
  const c = report.clusters[0];
  assert.ok(c, r.stdout);
  assert.equal(c.kind, 'Ticket');
  assert.equal(c.holder.kind, 'Array');
  assert.ok(c.shape.endsWith('.backlog[*]'), c.shape);
  assert.ok(c.holder.path.endsWith('.backlog'), c.holder.path);
  assert.equal(c.growing, true);
  assert.ok(c.count >= 20, `${c.count} leaked in about a second`);
  // The 50 recent tickets churn: they are not reported.
  assert.ok(!report.clusters.some((x) => x.shape.includes('.recent')));
  for (const name of ['base', 'target', 'final']) assert.ok(existsSync(join(save, `${name}.heapsnapshot`)), name);
  assert.match(r.stderr, /heapy: next snapshot \(target\) in 1s\n/);
  // heapy opened the inspector (SIGUSR1), so it closed it again; the service runs on.
  assert.equal(await listening(svc.port), false);
  assert.equal(svc.child.exitCode, null);
  svc.child.kill('SIGKILL');
});

test('heapy leaks --pid --fail exits with leakFound on the leaking service and 0 on the steady one', async () => {
  const leaking = await startService('leak');
  const steady = await startService('steady');
  const [l, s] = await Promise.all([
    heapy(['leaks', '--pid', String(leaking.pid), '--port', String(leaking.port), '--interval', '1s', '--fail']).done,
    heapy(['leaks', '--pid', String(steady.pid), '--port', String(steady.port), '--interval', '1s', '--fail', '--json']).done,
  ]);
  assert.equal(l.code, ExitCode.leakFound, l.stderr);
  assert.match(l.stdout, /#1 Ticket: \d+ leaked/);
  assert.equal(s.code, ExitCode.ok, s.stderr);
  assert.deepEqual((JSON.parse(s.stdout) as LeakReport).clusters, []);
  leaking.child.kill('SIGKILL');
  steady.child.kill('SIGKILL');
});

test('heapy leaks --pid stops on Ctrl-C between snapshots, detaching cleanly', async () => {
  const svc = await startService();
  const h = heapy(['leaks', '--pid', String(svc.pid), '--port', String(svc.port), '--interval', '60s']);
  const deadline = Date.now() + 30_000;
  while (!h.stderr().includes('next snapshot') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(h.stderr(), /next snapshot \(target\) in 60s/);
  const t0 = Date.now();
  h.child.kill('SIGINT');
  const r = await h.done;
  assert.equal(r.code, 130);
  assert.ok(Date.now() - t0 < 10_000, 'stopped without waiting for the interval');
  assert.equal(await listening(svc.port), false);
  svc.child.kill('SIGKILL');
});

test('heapy leaks --pid with a pid that does not exist, or a bad interval', async () => {
  const [nope, badInterval, both] = await Promise.all([
    heapy(['leaks', '--pid', '999999999', '--interval', '1s']).done,
    heapy(['leaks', '--pid', String(process.pid), '--interval', 'soon']).done,
    heapy(['leaks', '--pid', String(process.pid), 'a.heapsnapshot']).done,
  ]);
  assert.equal(nope.code, ExitCode.noSuchProcess, nope.stderr);
  assert.equal(badInterval.code, ExitCode.usage);
  assert.equal(both.code, ExitCode.usage);
});
