// The README's tour, typed verbatim in a real terminal (tmux) into both REPLs against the demo
// service: the manhole built into it (examples/market-data/with-manhole.mjs, `heapy connect`) and
// `heapy attach <pid>` on the same service. Row numbers are read from the table each REPL prints.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/snapshots.js';
import { freePort } from './helpers/net.js';
import { lastLine, tmuxServer } from './helpers/tmux.js';

const term = tmuxServer(`heapy-tour-${process.pid}`, 60_000);
const children = new Set<ChildProcess>();
after(() => {
  term.kill();
  for (const c of children) c.kill('SIGKILL');
});

/** The demo service with its manhole on `port`; resolves once both listen. */
async function startService(port: number): Promise<{ child: ChildProcess; pid: number; http: number; out: () => string; err: () => string }> {
  // Its own inspector port: parallel tests (and anything else here) may hold 9229.
  const inspectPort = await freePort();
  const child = spawn(process.execPath, [`--inspect-port=${inspectPort}`, join(repoRoot, 'examples', 'market-data', 'with-manhole.mjs')], {
    env: { ...process.env, MANHOLE_PORT: String(port), DEMO_RATE: '200' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening on 127\.0\.0\.1:(\d+)/.test(out) || !/manhole at|no manhole/.test(out + err)) {
    assert.ok(Date.now() < deadline, `service did not start: ${out} ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, pid: child.pid!, http: Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]), out: () => out, err: () => err };
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
    let body = '';
    res.on('data', (d: Buffer) => (body += d.toString()));
    res.on('end', () => resolve(body));
  }).on('error', reject));
}

/** Types the tour's lines into tmux session `name` whose prompt ends `promptEnd`; returns what it saw. */
async function tour(name: string, promptEnd: RegExp): Promise<Record<string, string>> {
  const atPrompt = (s: string) => promptEnd.test(lastLine(s));
  let mark = '';
  const type = async (line: string, what: string, ok: (screenSince: string) => boolean = () => true, timeoutMs = 60_000): Promise<string> => {
    term.run('clear-history', '-t', name);
    term.keys(name, 'C-l');
    await term.waitScreen(name, (s) => atPrompt(s) && s.trim().split('\n').length <= 2, `cleared screen before ${what}`);
    term.keys(name, '-l', line);
    term.keys(name, 'Enter');
    const s = await term.waitScreen(name, (x) => atPrompt(x) && x.includes(line) && x.trimEnd().split('\n').length > 1 && ok(x), what, timeoutMs);
    mark = s;
    return s;
  };
  const seen: Record<string, string> = {};
  seen.setref = await type('await h.setref()', 'setref');
  await new Promise((r) => setTimeout(r, 1500));
  const table = await type('heap = await h.heap()', 'the heap table', (x) => /Partition of a set of \d+ objects/.test(x));
  seen.heap = table;
  const rowOf = (label: RegExp) => {
    const line = table.split('\n').find((l) => /^\s*\d+\s+\d+/.test(l) && label.test(l));
    assert.ok(line, `no row ${label} in\n${table}`);
    return Number(line.trim().split(/\s+/)[0]);
  };
  const props = rowOf(/ properties of NanoTime$/);
  const trades = rowOf(/ TradeMessage$/);
  seen.bySize = await type(`heap[${props}].bySize`, 'bySize', (x) => /Individual Size/.test(x));
  seen.hints = await type('heap.hints()', 'hints', (x) => /NanoTime/.test(x));
  seen.trades = await type(`trades = heap[${trades}]`, 'trades', (x) => /Partition of a set of \d+ objects/.test(x));
  seen.byReferrers = await type('trades.byReferrers', 'byReferrers', (x) => /Referrers by Kind/.test(x));
  seen.sp = await type('trades.byId.at(0).sp', 'sp', (x) => / 0: Root\./.test(x));
  void mark;
  return seen;
}

function checkTour(seen: Record<string, string>): void {
  assert.doesNotMatch(seen.setref!, /Error|is not defined/);
  assert.match(seen.bySize!, /Individual Size/);
  assert.match(seen.hints!, /properties of NanoTime|NanoTime/);
  assert.match(seen.byReferrers!, /Array, elements of Array|elements of Array/);
  assert.match(seen.sp!, / 0: Root\.global\.service\._hub\._unreads\.get\("DataSource"\)\[0\]\._queue\.messages\[\d+\]/);
  for (const s of Object.values(seen)) assert.doesNotMatch(s, /ReferenceError|SyntaxError|Uncaught/);
}

test('the tour, typed verbatim, in the manhole (heapy connect) and in heapy attach', async () => {
  const port = await freePort();
  const svc = await startService(port);
  // A second service asking for the same manhole port: it logs and keeps serving.
  const second = await startService(port);
  assert.match(second.err(), /no manhole: .*EADDRINUSE/);
  assert.match(await get(second.http), /"seq"/, 'the service runs on without its manhole');
  second.child.kill('SIGKILL');

  term.run('new-session', '-d', '-s', 'm', '-x', '200', '-y', '60', `'${process.execPath}' '${cliPath}' connect ${port}; echo EXIT=$?; sleep 60`);
  await term.waitScreen('m', (s) => /> $/.test(lastLine(s) + ' ') || />\s*$/.test(lastLine(s)), 'manhole prompt');
  checkTour(await tour('m', />\s*$/));
  term.keys('m', '.exit', 'Enter');
  await term.waitScreen('m', (s) => s.includes('EXIT='), 'manhole client exit', 20_000);

  term.run('new-session', '-d', '-s', 'a', '-x', '200', '-y', '60', `HEAPY_ATTACH_HISTORY= '${process.execPath}' '${cliPath}' attach ${svc.pid}; echo EXIT=$?; sleep 60`);
  await term.waitScreen('a', (s) => lastLine(s) === `heapy ${svc.pid}>`, 'attach prompt');
  checkTour(await tour('a', new RegExp(`^heapy ${svc.pid}>\\s*$`)));
  term.keys('a', '.detach', 'Enter');
  const end = await term.waitScreen('a', (s) => s.includes('EXIT='), 'attach exit', 30_000);
  assert.match(end, /EXIT=0/);
  assert.match(await get(svc.http), /"seq"/, 'the service still serves');
});
