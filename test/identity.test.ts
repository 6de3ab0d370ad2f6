// Object identity across inspector sessions (issue 14): what clears V8's id map, measured on a
// real target over raw CDP, and every id-based result of heapy either holding or saying why not
// when its snapshots come from two sessions.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { compareIdEpochs } from '../src/query/epoch.js';
import { cliPath, repoRoot } from './helpers/snapshots.js';
import { freePort } from './helpers/net.js';
import { runNode } from './helpers/run.js';

const work = mkdtempSync(join(tmpdir(), 'heapy-identity-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The attach service with its inspector on a free port (opened by heapy with SIGUSR1). */
async function service(inspect = false): Promise<{ pid: number; http: number; port: number; ws: Promise<string> }> {
  const port = await freePort();
  const flag = inspect ? `--inspect=127.0.0.1:${port}` : `--inspect-port=${port}`;
  const child = spawn(process.execPath, [flag, join(repoRoot, 'test', 'programs', 'attach-service.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const ws = new Promise<string>((resolve) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /ws:\/\/\S+/.exec(err);
      if (m) resolve(m[0]);
    });
  });
  const line = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
  });
  const info = JSON.parse(line) as { pid: number; port: number };
  return { pid: info.pid, http: info.port, port, ws };
}

/** A raw CDP session. */
async function session(url: string) {
  const ws = new WebSocket(url);
  await new Promise((r) => ws.once('open', r));
  let next = 1;
  const pending = new Map<number, (v: { result?: Record<string, unknown> }) => void>();
  ws.on('message', (m) => {
    const x = JSON.parse(String(m)) as { id?: number; result?: Record<string, unknown> };
    if (x.id !== undefined) pending.get(x.id)?.(x);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<{ result?: Record<string, unknown> }>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => new Promise((r) => (ws.once('close', r), ws.close())) };
}

/** The id the target's own v8.writeHeapSnapshot gives `globalThis.<name>` now. */
async function idInTarget(s: Awaited<ReturnType<typeof session>>, name: string, n: number): Promise<number> {
  const file = join(work, `w${n}.heapsnapshot`);
  await s.send('Runtime.evaluate', { expression: `process.getBuiltinModule('v8').writeHeapSnapshot(${JSON.stringify(file)})` });
  const snap = await loadSnapshotFile(file);
  return idOfGlobal(snap, name);
}

function idOfGlobal(snap: HeapSnapshot, name: string): number {
  const root = snap.rootOrdinal;
  for (let e = snap.firstEdge[root]!; e < snap.firstEdge[root + 1]!; e++) {
    const g = snap.edgeTo[e]!;
    if (!snap.nodeNameString(g).startsWith('global')) continue;
    for (let f = snap.firstEdge[g]!; f < snap.firstEdge[g + 1]!; f++) if (!snap.edgeHasIndex(f) && snap.edgeNameString(f) === name) return snap.nodeId[snap.edgeTo[f]!]!;
  }
  return -1;
}

test('what clears V8’s id map: any inspector session ending, and HeapProfiler.disable; nothing else', async () => {
  const t = await service(true);
  const a = await session(await t.ws);
  const first = await idInTarget(a, 'process', 1);
  assert.ok(first > 0);
  assert.equal(await idInTarget(a, 'process', 2), first, 'ids hold within a session');
  // A second session that only evaluates, then ends.
  const b = await session(await t.ws);
  await b.send('Runtime.evaluate', { expression: '1' });
  await b.close();
  await new Promise((r) => setTimeout(r, 100));
  const afterB = await idInTarget(a, 'process', 3);
  assert.notEqual(afterB, first, 'another session ending renumbers every object');
  assert.equal(await idInTarget(a, 'process', 4), afterB, 'and the new ids hold again');
  await a.send('HeapProfiler.enable');
  await a.send('HeapProfiler.disable');
  assert.notEqual(await idInTarget(a, 'process', 5), afterB, 'HeapProfiler.disable renumbers too');
  await a.close();
});

test('two heapy snapshot runs: diff gives no by-id table, hints --base is not used, leaks names the cause', async () => {
  const t = await service();
  const snap = async (name: string) => {
    const file = join(work, name);
    const r = await runNode([cliPath, 'snapshot', String(t.pid), '--port', String(t.port), '-o', file], work);
    assert.equal(r.code, 0, r.stderr);
    return file;
  };
  const [a, b, c] = [await snap('a.heapsnapshot'), await snap('b.heapsnapshot'), await snap('c.heapsnapshot')];
  const verdict = compareIdEpochs(await loadSnapshotFile(a), await loadSnapshotFile(b));
  assert.equal(verdict.comparable, false, verdict.reason);
  const diff = await runNode([cliPath, 'diff', a, b], work);
  assert.equal(diff.code, 0, diff.stderr);
  assert.match(diff.stdout, /Differences by kind/);
  assert.doesNotMatch(diff.stdout, /# New # Deleted/);
  assert.match(diff.stdout, /Objects matched by V8 id: not given: not snapshots of one process and one id epoch .*inspector session ends/);
  const json = JSON.parse((await runNode([cliPath, 'diff', a, b, '--json'], work)).stdout) as { byId: unknown; idNote: string };
  assert.equal(json.byId, null);
  assert.match(json.idNote, /one id epoch/);
  const hints = await runNode([cliPath, 'hints', b, '--base', a], work);
  assert.equal(hints.code, 0, hints.stderr);
  assert.match(hints.stdout, /^--base not used: not snapshots of one process and one id epoch/);
  assert.doesNotMatch(hints.stdout, /new since the base snapshot/);
  const leaks = await runNode([cliPath, 'leaks', a, b, c], work);
  assert.equal(leaks.code, 6, leaks.stderr);
  assert.match(leaks.stderr, /^heapy: (base|target) and final cannot be compared by object id: .*an inspector session ends/);
  assert.equal(leaks.stderr.trim().split('\n').length, 1);
});

test('heapy snapshot --count takes a series in one session: diff matches its objects by id', async () => {
  const t = await service();
  const dir = join(work, 'series');
  const r = await runNode([cliPath, 'snapshot', String(t.pid), '--port', String(t.port), '--count', '2', '--interval', '200ms', '-o', dir], work);
  assert.equal(r.code, 0, r.stderr);
  const files = r.stdout.trim().split('\n');
  assert.equal(files.length, 2);
  assert.match(files[1]!, /-2\.heapsnapshot$/);
  assert.equal(compareIdEpochs(await loadSnapshotFile(files[0]!), await loadSnapshotFile(files[1]!)).comparable, true);
  const diff = await runNode([cliPath, 'diff', files[0]!, files[1]!], work);
  assert.equal(diff.code, 0, diff.stderr);
  assert.match(diff.stdout, /Objects matched by V8 id: new in A/);
  assert.doesNotMatch(diff.stdout, /not given/);
  const usage = await runNode([cliPath, 'snapshot', String(t.pid), '--count', '2'], work);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--count needs -o DIR/);
});

test('attach: a .setref that another heapy session voided is refused, not answered wrongly', async () => {
  const t = await service();
  const child = spawn(process.execPath, [cliPath, 'attach', String(t.pid), '--port', String(t.port)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HEAPY_ATTACH_HISTORY: '' } });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const prompt = async (from: number) => {
    const deadline = Date.now() + 60_000;
    while (!/heapy \d+> $/.test(out.slice(from))) {
      assert.ok(Date.now() < deadline, `no prompt: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return out.slice(from);
  };
  const send = async (line: string) => {
    const from = out.length;
    child.stdin!.write(line + '\n');
    return prompt(from);
  };
  await prompt(0);
  assert.match(await send('.setref'), /reference set/);
  // Another heapy session on the same target: its end renumbers every object.
  const other = await runNode([cliPath, 'heap', String(t.pid), '--port', String(t.port), '--top', '1'], work);
  assert.equal(other.code, 0, other.stderr);
  const reply = await send('.heap');
  assert.match(reply, /heapy: the reference point no longer holds: V8 renumbered every object since it was set .* inspector session ends/);
  assert.doesNotMatch(reply, /Objects allocated since/);
  // The whole heap is still there to read, and a new .setref works.
  assert.match(await send('_.count > 1000'), /true/);
  assert.match(await send('.setref'), /reference set/);
  assert.match(await send('.heap'), /Objects allocated since \.setref/);
  child.stdin!.end('.detach\n');
  await new Promise((r) => child.on('close', r));
});
