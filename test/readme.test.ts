// Every command the README's command table shows, run as written (issue 14: "every example in the
// README is run by a test as written"). Placeholders are replaced by real things: 4242 by the pid
// of the demo service, 9999 by its manhole's port, app.js by a small program, and the files the
// examples name are made by the examples themselves (snapshot -o app.heapsnapshot) or beforehand.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/snapshots.js';
import { freePort } from './helpers/net.js';

const work = mkdtempSync(join(tmpdir(), 'heapy-readme-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `heapy ...args` in the work directory; `input` goes to stdin; `stopOn` SIGINTs it once its stdout matches. */
function heapy(args: string[], options: { input?: string; stopOn?: RegExp } = {}): Promise<Result> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: work, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HEAPY_ATTACH_HISTORY: '', HEAPY_HISTORY: join(work, '.hist') } });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let stopping = false;
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    // A moment after the line, as a person would press Ctrl-C (not in the microseconds before the
    // command has installed its handler).
    if (!stopping && options.stopOn?.test(stdout)) {
      stopping = true; // one Ctrl-C: a second one would end the command before it cleans up
      setTimeout(() => child.kill('SIGINT'), 500);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.on('error', () => {});
  child.stdin!.end(options.input ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The `heapy ...` examples of the README's command table, by command. */
function readmeExamples(): Map<string, string[]> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Commands'), readme.indexOf('Relations for'));
  const out = new Map<string, string[]>();
  for (const m of table.matchAll(/^\| `([\w-]+)` \| `heapy ([^`]+)` \|/gm)) out.set(m[1]!, m[2]!.split(' '));
  return out;
}

test('every example of the README command table runs as written', { timeout: 240_000 }, async () => {
  const examples = readmeExamples();
  assert.ok(examples.size >= 20, `found ${examples.size} examples`);
  // The demo service, with its manhole on a free port and its own inspector port.
  const manholePort = await freePort();
  const inspectPort = await freePort();
  const svc = spawn(process.execPath, [`--inspect-port=${inspectPort}`, join(repoRoot, 'examples', 'market-data', 'with-manhole.mjs')], {
    env: { ...process.env, MANHOLE_PORT: String(manholePort), DEMO_RATE: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(svc);
  await new Promise<void>((resolve) => {
    let out = '';
    svc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/manhole at/.test(out)) resolve();
    });
  });
  // app.js: allocates for a moment, then exits by itself.
  writeFileSync(join(work, 'app.js'), 'const keep = []; const t = setInterval(() => keep.push(new Array(1e4).fill(1)), 20); setTimeout(() => { clearInterval(t); }, 2000);\n');
  // monitor and leaks get a process each: two heapy commands at once on one target share its
  // inspector (the one that opened it closes it when it ends), and any session ending renumbers
  // every object, which leaks --pid then rightly refuses to compare (docs/object-identity.md).
  const service = async () => {
    const c = spawn(process.execPath, [`--inspect-port=${await freePort()}`, join(repoRoot, 'examples', 'market-data', 'service.mjs')], { stdio: 'ignore' });
    children.add(c);
    return c;
  };
  const own = { monitor: await service(), leaks: await service() };
  const args = (name: string): string[] => {
    const a = examples.get(name);
    assert.ok(a, `no README example for ${name}`);
    const pid = name === 'monitor' || name === 'leaks' ? own[name].pid : svc.pid;
    return a.map((x) => (x === '4242' ? String(pid) : x === '9999' ? String(manholePort) : x));
  };
  const ok = (name: string, r: Result, codes: readonly (number | null)[] = [0]) => assert.ok(codes.includes(r.code), `heapy ${args(name).join(' ')}: exit ${r.code}\n${r.stderr}`);

  // Files the file examples read: the snapshot example writes app.heapsnapshot.
  ok('snapshot', await heapy(args('snapshot')));
  assert.ok(existsSync(join(work, 'app.heapsnapshot')));
  for (const f of ['before', 'after']) ok('snapshot', await heapy(['snapshot', String(svc.pid), '-o', `${f}.heapsnapshot`]));

  // The long ones run side by side: leaks (two 30 s intervals), monitor (60 s), alloc, run, demo.
  const long = Promise.all(
    (['leaks', 'monitor', 'alloc', 'run', 'demo'] as const).map(async (name) => {
      const r = await heapy(args(name));
      ok(name, r);
      return [name, r] as const;
    }),
  );
  for (const name of ['summary', 'path', 'diff', 'graph', 'hints', 'report', 'ps', 'heap', 'redact']) ok(name, await heapy(args(name)));
  assert.ok(existsSync(join(work, 'shared.heapsnapshot')));
  assert.ok(existsSync(join(work, 'refs.svg')) && existsSync(join(work, 'report.html')));
  ok('repl', await heapy(args('repl'), { input: 'heap.count > 0\n.exit\n' }));
  const attach = await heapy(args('attach'), { input: '.heap\n.detach\n' });
  ok('attach', attach);
  assert.match(attach.stdout, /Partition of a set of/);
  const connect = await heapy(args('connect'), { input: 'service.constructor.name\n' });
  ok('connect', connect);
  assert.match(connect.stdout, /'Service'/);
  // serve runs until stopped: stop it once it printed its address.
  ok('serve', await heapy(args('serve'), { stopOn: /http:\/\/127\.0\.0\.1:\d+/ }), [0, 130]);

  const done = new Map(await long);
  assert.match(done.get('leaks')!.stdout, /TradeMessage/);
  // Recordings: run and monitor wrote one each; one more so that `rm 0 2` has three to pick from.
  ok('run', await heapy(['run', '-q', '--', 'node', 'app.js']));
  for (const name of ['plot', 'peak', 'list']) ok(name, await heapy(args(name)));
  assert.ok(existsSync(join(work, 'memory.html')));
  ok('rm', await heapy(args('rm')));
  const clean = await heapy(args('clean'));
  ok('clean', clean);
  assert.match(clean.stdout, /removed /);
  svc.kill('SIGKILL');
  for (const c of Object.values(own)) c.kill('SIGKILL');
});
