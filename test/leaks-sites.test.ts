// Allocation sites in `heapy leaks --pid`: V8's sampling heap profiler runs from the target
// snapshot to the final one, each cluster names the functions that allocated it, and sampling is
// off again in the target afterwards (normally and after Ctrl-C), unless someone else had it on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../src/errors.js';
import type { LeakCluster, LeakReport } from '../src/analyses/leaks.js';
import { leakSites, SITES_FROM_FILES, type ClusterSites, type SampledNode } from '../src/analyses/leak-sites.js';
import { freePort } from './helpers/net.js';
import { startNode, type Started } from './helpers/run.js';
import { launchChromium, openReport } from './helpers/browser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const program = join(root, 'test', 'programs', 'leak-sites.mjs');
const work = mkdtempSync(join(tmpdir(), 'heapy-leaks-sites-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Where V8 says a function of the program starts: 1-based line, and the column of its `(`. */
function positionOf(fn: string): { line: number; column: number } {
  const lines = readFileSync(program, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith(`function ${fn}(`));
  assert.ok(i >= 0, fn);
  return { line: i + 1, column: lines[i]!.indexOf('(') + 1 };
}

interface Service {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Sends a line on its stdin and waits for the next line it prints. */
  ask(line: string): Promise<string>;
}

/** Starts the two-leak service (inlining off: see the program's comment). */
async function startService(): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--no-turbo-inlining', `--inspect-port=${port}`, program], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const waiting: Array<(l: string) => void> = [];
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  const next = (): Promise<string> => new Promise((r) => waiting.push(r));
  const first = await next();
  return {
    child,
    pid: (JSON.parse(first) as { pid: number }).pid,
    port,
    ask(line) {
      const answer = next();
      child.stdin!.write(line + '\n');
      return answer;
    },
  };
}

function heapy(args: string[], cwd = work): Started {
  const h = startNode([bin, ...args], cwd);
  children.add(h.child);
  return h;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type SitedCluster = LeakCluster & { allocationSites: ClusterSites };

test('heapy leaks --pid names addSession and remember, at their lines, as the sites of the two leaks; sampling is off afterwards', async () => {
  const svc = await startService();
  const save = join(work, 'saved');
  const h = heapy(['leaks', '--pid', String(svc.pid), '--port', String(svc.port), '--interval', '1s', '--sampling-interval', '2KiB', '--json', '--save', save]);
  // While heapy waits for the final snapshot, the target's sampler is on: the probe can say so.
  await until(() => h.stderr().includes('next snapshot (final)'), 'the final interval');
  assert.equal(await svc.ask('probe'), 'sampling on');
  const r = await h.done;
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.equal(await svc.ask('probe'), 'sampling off');

  const report = JSON.parse(r.stdout) as Omit<LeakReport, 'clusters'> & { clusters: SitedCluster[]; allocationSites: { samplingInterval: number; totalSamples: number; method: string } };
  assert.equal(report.allocationSites.samplingInterval, 2048);
  assert.ok(report.allocationSites.totalSamples > 20, `${report.allocationSites.totalSamples} live samples`);
  assert.match(report.allocationSites.method, /^sampled; /);

  const sessions = report.clusters.find((c) => c.kind === 'Session');
  assert.ok(sessions, r.stdout);
  assert.ok(sessions.shape.endsWith('.sessions.get(*)'), sessions.shape);
  const s = sessions.allocationSites;
  assert.equal(s.method, 'constructor');
  assert.equal(s.constructorName, 'Session');
  const top = s.sites[0]!;
  assert.equal(top.functionName, 'addSession');
  assert.equal(top.url, `file://${program}`);
  assert.deepEqual({ line: top.line, column: top.column }, positionOf('addSession'));
  // addSession is the only function that runs `new Session`: every claimed byte is its.
  assert.equal(top.share, 1);
  assert.equal(s.sites.length, 1);
  assert.equal(top.bytes, s.bytes);
  // Sessions are most of what the service keeps (a Session holds a 40-slot array; a note, two strings).
  assert.ok(s.share > 0.6, `share of all live samples ${s.share}`);

  const notes = report.clusters.find((c) => c.kind === 'Object' && c.shape.endsWith('.notes[*]'));
  assert.ok(notes, r.stdout);
  const n = notes.allocationSites;
  assert.equal(n.method, 'remainder');
  assert.equal(n.sites[0]!.functionName, 'remember');
  assert.deepEqual({ line: n.sites[0]!.line, column: n.sites[0]!.column }, positionOf('remember'));
  assert.ok(n.sites[0]!.share > 0.6, `remember's share ${n.sites[0]!.share}`);
  // The Session samples went to the Session cluster, not to this remainder.
  assert.ok(!n.sites.some((x) => x.functionName === 'addSession'), JSON.stringify(n.sites));

  // From the saved files there is nothing to sample: one line says how to get sites.
  const files = await heapy(['leaks', join(save, 'base.heapsnapshot'), join(save, 'target.heapsnapshot'), join(save, 'final.heapsnapshot')]).done;
  assert.equal(files.code, ExitCode.ok, files.stderr);
  assert.ok(files.stdout.trimEnd().endsWith(SITES_FROM_FILES), files.stdout);
  assert.doesNotMatch(files.stdout, /allocated:/);

  // The HTML report of the three snapshots and the saved samples: the same sites under each suspect.
  const snaps = ['base', 'target', 'final'].map((n) => join(save, `${n}.heapsnapshot`));
  const html = join(work, 'sites.html');
  const bare = join(work, 'bare.html');
  const [rep, bareRep] = await Promise.all([
    heapy(['report', ...snaps, join(save, 'sampling.heapprofile'), '-o', html], root).done,
    heapy(['report', ...snaps, '-o', bare]).done,
  ]);
  assert.equal(rep.code, ExitCode.ok, rep.stderr);
  assert.equal(bareRep.code, ExitCode.ok, bareRep.stderr);
  const browser = await launchChromium();
  try {
    const { page, errors } = await openReport(browser, 'file://' + html);
    const card = await page.locator('#leaks .cluster', { hasText: '× Session' }).first().innerText();
    const { line, column } = positionOf('addSession');
    assert.match(card, new RegExp(`Allocated at \\(sampled, .* from new Session\\):\\s*100% addSession test/programs/leak-sites\\.mjs:${line}:${column}`));
    assert.match(await page.locator('#leaks .leak-sites-note').innerText(), /^Allocation sites: V8's sampling heap profiler ran from target to final \(.*one sample per 2\.0 KiB.*\(sampling\.heapprofile\)$/);
    assert.deepEqual(errors, []);
    const b = await openReport(browser, 'file://' + bare);
    assert.equal(await b.page.locator('#leaks .leak-sites').count(), 0);
    assert.match(await b.page.locator('#leaks .leak-sites-note').innerText(), /^Allocation sites: run 'heapy leaks --pid <pid> --save DIR'/);
  } finally {
    await browser.close();
  }
  svc.child.kill('SIGKILL');
});

test('the text form shows grows -> held by -> allocated at in one block, and how sites were matched', async () => {
  const svc = await startService();
  const { line, column } = positionOf('addSession');
  // From the repository root, locations print relative to it.
  const r = await heapy(['leaks', '--pid', String(svc.pid), '--port', String(svc.port), '--interval', '1s', '--sampling-interval', '2KiB'], root).done;
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const block = r.stdout.split('\n\n').find((b) => /^#\d+ Session: /.test(b));
  assert.ok(block, r.stdout);
  const labels = block.split('\n').map((l) => /^ {3}(\w+):/.exec(l)?.[1]).filter(Boolean);
  assert.deepEqual(labels.slice(0, 2), ['path', 'holder']);
  assert.ok(labels.indexOf('growth') < labels.indexOf('allocated'), labels.join());
  assert.match(block, new RegExp(`\\n {3}allocated: .* sampled \\(\\d+% of all live samples; new Session\\):\\n {5}100% {2}addSession {2}test/programs/leak-sites\\.mjs:${line}:${column}`));
  assert.match(r.stdout, /\nAllocation sites: V8's sampling heap profiler ran from target to final \(.*one sample per 2\.0 KiB allocated on average; .*Estimates;/);
  assert.equal(await svc.ask('probe'), 'sampling off');
  svc.child.kill('SIGKILL');
});

test('Ctrl-C while sampling stops the sampler in the target; a sampler someone else started is left alone', async () => {
  const [a, b] = await Promise.all([startService(), startService()]);
  assert.equal(await b.ask('start'), 'started');
  const ha = heapy(['leaks', '--pid', String(a.pid), '--port', String(a.port), '--interval', '3s']);
  const hb = heapy(['leaks', '--pid', String(b.pid), '--port', String(b.port), '--interval', '1s']);
  // a: interrupted while it waits for the final snapshot, with its sampler on.
  await until(() => ha.stderr().includes('next snapshot (final)'), 'the final interval');
  assert.equal(await a.ask('probe'), 'sampling on');
  ha.child.kill('SIGINT');
  const ra = await ha.done;
  assert.equal(ra.code, 130, ra.stderr);
  assert.equal(ra.stdout, '');
  assert.equal(await a.ask('probe'), 'sampling off');

  const rb = await hb.done;
  assert.equal(rb.code, ExitCode.ok, rb.stderr);
  assert.match(rb.stdout, /Allocation sites: none; the target was already running a sampling heap profiler \(another tool\); heapy left it alone\./);
  assert.doesNotMatch(rb.stdout, /allocated:/);
  assert.equal(await b.ask('probe'), 'sampling on');
  a.child.kill('SIGKILL');
  b.child.kill('SIGKILL');
});

// A hand-built profile: main -> addSession -> Session (inside the constructor), main -> addSession
// itself (the `new Session` object) and through Map#set, main -> remember, main -> startPolling ->
// setInterval -> Timeout in Node, main -> tick -> setTimeout (its Timeout constructor inlined, so
// no frame), and Node's own timers with no frame of the program.
let nextId = 1;
function node(functionName: string, url: string, line: number, selfSize: number, children: SampledNode[] = []): SampledNode {
  return { callFrame: { functionName, url, lineNumber: line, columnNumber: 4 }, selfSize, id: nextId++, children };
}

test('leakSites credits a class to the callers of its constructor and the rest to the program frame under it', () => {
  const app = 'file:///srv/app.mjs';
  const ctor = node('Session', app, 2, 600);
  const mapSet = node('set', '', -1, 100);
  const addSession = node('addSession', app, 9, 300, [ctor, mapSet]);
  const remember = node('remember', app, 14, 250);
  const timeout = node('Timeout', 'node:internal/timers', 160, 90);
  const setIntervalNode = node('setInterval', 'node:timers', 200, 150, [timeout]);
  const drift = node('setTimeout', 'node:timers', 180, 70);
  const tick = node('tick', app, 40, 0, [drift]);
  const poll = node('startPolling', app, 20, 0, [setIntervalNode]);
  const main = node('main', app, 30, 0, [addSession, remember, poll, tick]);
  const timers = node('processTimers', 'node:internal/timers', 500, 999);
  const head = node('(root)', '', -1, 0, [main, timers]);
  const samples = [ctor, ctor, ctor, addSession, mapSet, remember, remember, setIntervalNode, timeout, drift, timers].map((n) => ({ nodeId: n.id }));
  const clusters = [{ kind: 'Session' }, { kind: 'Object' }, { kind: 'Timeout' }, { kind: 'Other', contents: [{ kind: 'Session' }] }];
  const r = leakSites(clusters, { head, samples }, 1024, 5000);
  assert.equal(r.totalBytes, 600 + 100 + 300 + 250 + 150 + 90 + 70 + 999);
  assert.equal(r.totalSamples, 11);
  const [s, o, t, other] = r.clusters as [ClusterSites, ClusterSites, ClusterSites, ClusterSites];
  assert.equal(s.method, 'constructor');
  assert.equal(s.bytes, 1000);
  assert.equal(s.samples, 5);
  assert.deepEqual(s.sites.map((x) => [x.functionName, x.line, x.column, x.bytes, x.share, x.via]), [['addSession', 10, 5, 1000, 1, 'Session']]);
  // A cluster whose contents are Sessions shares the Session samples, and says so.
  assert.deepEqual([other.method, other.constructorName, other.bytes, other.sharedWith], ['constructor', 'Session', 1000, [0]]);
  assert.deepEqual(s.sharedWith, [3]);
  // Node's Timeout is a constructor too: setInterval's `new Timeout` and what Timeout allocates go to the program's startPolling.
  assert.deepEqual([t.method, t.constructorName, t.bytes, t.samples], ['constructor', 'Timeout', 240, 2]);
  assert.deepEqual(t.sites.map((x) => [x.functionName, x.line, x.bytes, x.via]), [['startPolling', 21, 240, 'setInterval']]);
  // Object has no constructor with a frame: it gets the remainder, each sample at the program's innermost frame.
  assert.equal(o.method, 'remainder');
  assert.deepEqual(o.sites.map((x) => [x.functionName, x.bytes, x.via]), [['remember', 250, null], ['tick', 70, 'setTimeout']]);
  assert.equal(o.bytes, 320);
  assert.ok(Math.abs(o.sites[0]!.share - 250 / 320) < 1e-12);
  assert.deepEqual(o.sharedWith, []);
  // Node's own timers (no frame of the program) are in the total but nobody's site.
  assert.ok(!r.clusters.some((c) => c.sites.some((x) => x.functionName === 'processTimers')));
  assert.ok(Math.abs(s.share - 1000 / r.totalBytes) < 1e-12);
});

test('--sampling-interval needs --pid and a size; heapy report takes one .heapprofile, only beside three snapshots, and refuses one without a call tree', async () => {
  const dir = mkdtempSync(join(work, 'bad-'));
  const snap = join(dir, 'a.heapsnapshot');
  const prof = join(dir, 'p.heapprofile');
  const broken = join(dir, 'q.heapprofile');
  writeFileSync(snap, '{"snapshot":{}}');
  writeFileSync(prof, '{"head":{"callFrame":{},"selfSize":0,"id":1,"children":[]},"samples":[]}');
  writeFileSync(broken, '{"head":{"id":1}}');
  const [noPid, zero, one, two, bad] = await Promise.all([
    heapy(['leaks', snap, snap, snap, '--sampling-interval', '4KiB']).done,
    heapy(['leaks', '--pid', String(process.pid), '--sampling-interval', '0']).done,
    heapy(['report', snap, prof, '-o', join(dir, 'r.html')]).done,
    heapy(['report', snap, snap, snap, prof, prof, '-o', join(dir, 'r.html')]).done,
    heapy(['report', snap, snap, snap, broken, '-o', join(dir, 'r.html')]).done,
  ]);
  assert.equal(noPid.code, ExitCode.usage);
  assert.match(noPid.stderr, /--sampling-interval samples a live process: it needs --pid/);
  assert.equal(zero.code, ExitCode.usage);
  assert.match(zero.stderr, /--sampling-interval: expected a size above zero/);
  assert.equal(one.code, ExitCode.usage);
  assert.match(one.stderr, /a \.heapprofile gives the leak clusters their allocation sites: give it with three snapshots/);
  assert.equal(two.code, ExitCode.usage);
  assert.match(two.stderr, /report takes one \.heapprofile/);
  assert.equal(bad.code, ExitCode.badInput);
  assert.match(bad.stderr, /q\.heapprofile: not a sampling heap profile \(no call tree at "head"\)/);
});
