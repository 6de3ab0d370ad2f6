// `heapy serve` end to end: a real server process on the loopback serving the report page of a
// snapshot of test/programs/report-app.mjs, opened in headless Chromium. The page makes requests
// only to that server; opening objects, rows and more edges fetches them live; the JSON API
// refuses foreign Host headers and bad ids; unsafe hosts and taken ports are refused; Ctrl-C
// (SIGINT) stops it. Every request needs the server's token: without it (or as another local
// user, who cannot read the token file either) everything is 403.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openReport } from './helpers/browser.js';
import { ExitCode } from '../src/errors.js';
import { cliPath, repoRoot, testDir } from './helpers/snapshots.js';

const snap = join(testDir(), 'serve.heapsnapshot');
let server: ChildProcess;
/** The server's address without the token (what the page's requests start with). */
let url = '';
/** The printed address, with ?token=. */
let pageUrl = '';
let token = '';
// The token file goes to a runtime directory of this test, not root's home.
const runtime = mkdtempSync(join(testDir(), 'run-'));
const env = { ...process.env, XDG_RUNTIME_DIR: runtime };
let browser: Browser;
let stdout = '';

before(async () => {
  execFileSync(process.execPath, [join(repoRoot, 'test', 'programs', 'report-app.mjs'), snap], { stdio: 'inherit', timeout: 60_000 });
  server = spawn(process.execPath, [cliPath, 'serve', snap, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env });
  pageUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address from heapy serve: ${stdout}`)), 120_000);
    server.stdout!.setEncoding('utf8');
    server.stdout!.on('data', (d: string) => {
      stdout += d;
      const m = /heapy serve: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+) \(Ctrl-C to stop\)\nheapy serve: token in \S+\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    server.once('exit', (code) => reject(new Error(`heapy serve exited with ${code}`)));
  });
  const u = new URL(pageUrl);
  token = u.searchParams.get('token')!;
  url = u.origin + '/';
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) server.kill('SIGKILL');
  spawnSync('userdel', ['heapysrv']);
});

/**
 * A GET with a chosen Host header, method and token header (default: the server's; null: none);
 * resolves to status and parsed JSON (or text).
 */
function get(path: string, options: { host?: string; method?: string; token?: string | null } = {}): Promise<{ status: number; body: any }> {
  const u = new URL(path, url);
  const sent = options.token === undefined ? token : options.token;
  const headers: Record<string, string> = { host: options.host ?? u.host };
  if (sent !== null) headers['x-heapy-token'] = sent;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname + u.search, method: options.method ?? 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        if ((res.headers['content-type'] ?? '').startsWith('application/json')) body = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const open = () => openReport(browser, pageUrl);

test('the served page loads from the loopback only and shows the same report, live', async () => {
  const { page, errors, requests } = await open();
  try {
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith(url)),
      [],
    );
    assert.equal(await page.locator('#partition tbody tr').first().locator('td.label').innerText(), 'ReportWidget');
    assert.match(await page.locator('.subtitle').innerText(), /live$/);
  } finally {
    await page.close();
  }
});

test('opening objects and rows fetches them from the engine', async () => {
  const { page, errors, requests } = await open();
  try {
    // The widgets array: open the top kind, then the `.widgets` hop of a path.
    await page.locator('#partition tbody tr').first().click();
    const panel = page.locator('#inspector');
    await panel.locator('.path button.hop', { hasText: '.widgets' }).first().click();
    await page.locator('#inspector-title').filter({ hasText: /^Array @\d+$/ }).waitFor();
    const arrayId = Number(/@(\d+)/.exec(await page.locator('#inspector-title').innerText())![1]);
    // Its references: 8 come with the page, "Show more" fetches the next 50.
    const refs = panel.locator('section', { hasText: 'References' }).first();
    assert.equal(await refs.locator('tbody tr').count(), 8);
    await refs.getByRole('button', { name: 'Show more' }).click();
    await refs.locator('tbody tr').nth(57).waitFor();
    assert.equal(await refs.locator('tbody tr').count(), 58);
    assert.ok(requests.some((u) => u.startsWith(`${url}api/edges/${arrayId}?offset=8`)), requests.join('\n'));

    // What it keeps alive, asked of the dominator tree on the server.
    await panel.getByRole('button', { name: 'Show the objects it keeps alive' }).click();
    const kept = panel.locator('section', { hasText: 'Keeps alive' });
    await kept.locator('tbody tr').nth(49).waitFor();
    assert.match(await kept.locator('.table-foot').innerText(), /^[\d,]+ objects, [\d.]+ MiB retained together$/);
    assert.ok(requests.includes(`${url}api/dominated/${arrayId}?limit=50`));

    // An object the page does not hold: widget 123's detail comes from /api/object.
    const page123 = await get(`/api/edges/${arrayId}?offset=0&limit=200`);
    const far = page123.body.items.find((x: { step: string }) => x.step === '[123]').object.id as number;
    await page.keyboard.press('Escape');
    await page.locator('input[aria-label="Open object by V8 id"]').fill('@' + far);
    await page.locator('form.openid button').click();
    await page.locator('#inspector-title').filter({ hasText: `ReportWidget @${far}` }).waitFor();
    assert.ok(requests.includes(`${url}api/object/${far}`));
    assert.match((await panel.locator('.path').first().innerText()).replace(/\s+/g, ''), /^Root\.global\.widgetRegistry\.widgets\[123\]$/);

    // A row of another relation, partitioned by kind on the server.
    await page.keyboard.press('Escape');
    await page.locator('#partition [data-relation="type"]').click();
    await page.locator('#partition tbody tr').first().click();
    await panel.locator('section', { hasText: 'This row, by kind' }).locator('tbody tr').first().waitFor({ timeout: 30_000 });
    assert.ok(requests.some((u) => u === `${url}api/row?relation=type&index=0`));
    assert.match(await panel.locator('section', { hasText: 'This row, by kind' }).locator('tbody tr').first().innerText(), /ReportWidget/);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith(url)),
      [],
    );
  } finally {
    await page.close();
  }
});

test('the JSON API: objects, children, retainers, rows; foreign hosts and bad ids refused', async () => {
  const report = await get('/api/report');
  assert.equal(report.status, 200);
  assert.equal(report.body.live, true);
  const widgetId = report.body.partitions.kind.rows[0].samples[0] as number;
  const obj = await get(`/api/object/${widgetId}`);
  assert.equal(obj.status, 200);
  assert.equal(obj.body.kind, 'ReportWidget');
  assert.match(obj.body.path, /^Root\.global\.widgetRegistry\.widgets\[\d+\]$/);
  // V8 links an array element both from the array ([i]) and from its backing store (.[[i]]).
  const ret = await get(`/api/retainers/${widgetId}`);
  assert.ok(ret.body.items.some((x: { step: string; object: { kind: string } }) => /^\[\d+\]$/.test(x.step) && x.object.kind === 'Array'), JSON.stringify(ret.body));
  const holder = obj.body.dominator.id as number;
  const dom = await get(`/api/dominated/${holder}?limit=3`);
  assert.ok(dom.body.total >= 40_000, `the array keeps ${dom.body.total} objects alive`);
  assert.equal(dom.body.items.length, 3);
  const kids = await get(`/api/edges/${holder}?offset=10&limit=5`);
  assert.equal(kids.body.offset, 10);
  assert.equal(kids.body.items.length, 5);
  const row = await get('/api/row?relation=via&index=0&limit=3');
  assert.equal(row.status, 200);
  assert.equal(row.body.largest.length, 3);
  assert.equal((await get('/api/row?relation=nope')).status, 400);
  assert.equal((await get('/api/row?relation=kind&index=100000')).status, 404);
  assert.equal((await get('/api/object/abc')).status, 400);
  assert.equal((await get('/api/object/2')).status, 404);
  assert.equal((await get('/api/nothing')).status, 404);
  assert.equal((await get('/api/report', { method: 'POST' })).status, 405);
  // DNS rebinding: a page on another name that resolves to 127.0.0.1 gets nothing.
  const foreign = await get('/api/report', { host: 'attacker.example:80' });
  assert.equal(foreign.status, 403);
  assert.equal((await get('/', { host: `localhost:${new URL(url).port}` })).status, 200);
});

test('without the token, the page and every API path are 403 with nothing of the heap', async () => {
  const report = await get('/api/report');
  const widgetId = report.body.partitions.kind.rows[0].samples[0] as number;
  for (const path of ['/', '/index.html', '/api/report', `/api/object/${widgetId}`, `/api/edges/${widgetId}`, '/api/row?relation=kind&index=0', '/api/nothing']) {
    for (const t of [null, '', token.slice(1), token + 'x', 'A'.repeat(token.length)]) {
      const r = await get(path, { token: t });
      assert.equal(r.status, 403, `${path} with token ${JSON.stringify(t)}`);
      assert.deepEqual(Object.keys(r.body), ['error']);
      assert.doesNotMatch(JSON.stringify(r.body), /ReportWidget|widgetRegistry/);
    }
  }
  // The token in the query works as well as in the header (that is how the printed URL works).
  const viaQuery = await get(`/api/object/${widgetId}?token=${token}`, { token: null });
  assert.equal(viaQuery.status, 200);
  assert.equal(viaQuery.body.kind, 'ReportWidget');
  assert.equal((await get(`/api/object/${widgetId}?token=nope`, { token: null })).status, 403);
  // In the browser: the address without the token shows the refusal, not the report.
  const page = await browser.newPage();
  try {
    const res = await page.goto(url);
    assert.equal(res?.status(), 403);
    assert.doesNotMatch(await page.content(), /ReportWidget/);
  } finally {
    await page.close();
  }
});

test('another local user can read neither the token file nor the page', async () => {
  const file = /heapy serve: token in (\S+)\n/.exec(stdout)![1]!;
  assert.equal(readFileSync(file, 'utf8').trim(), token);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
  spawnSync('userdel', ['heapysrv']);
  const add = spawnSync('useradd', ['-M', '-d', '/nonexistent', 'heapysrv'], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  try {
    const uid = Number(spawnSync('id', ['-u', 'heapysrv'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'heapysrv'], { encoding: 'utf8' }).stdout.trim());
    const as = (cmd: string[]) => spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...cmd], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(as(['id', '-u']).stdout.trim(), String(uid));
    const cat = as(['cat', file]);
    assert.notEqual(cat.status, 0, 'the other user read the token');
    assert.doesNotMatch(cat.stdout, new RegExp(token));
    for (const path of ['', 'api/report']) {
      const curl = as(['curl', '-s', '-w', '\n%{http_code}', url + path]);
      assert.equal(curl.status, 0, curl.stderr);
      assert.match(curl.stdout, /\n403$/);
      assert.doesNotMatch(curl.stdout, /ReportWidget|widgetRegistry/);
    }
    const node = as([process.execPath, '-e', `require('http').get(${JSON.stringify(url + 'api/report')}, (r) => { let t = ''; r.on('data', (d) => (t += d)); r.on('end', () => console.log(r.statusCode, t)); })`]);
    assert.match(node.stdout, /^403 /);
    assert.doesNotMatch(node.stdout, /ReportWidget/);
  } finally {
    spawnSync('userdel', ['heapysrv']);
  }
});

test('--insecure-no-token serves without a token, with a warning', async () => {
  const child = spawn(process.execPath, [cliPath, 'serve', snap, '--port', '0', '--insecure-no-token'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const open = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address: ${out} ${err}`)), 120_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /heapy serve: (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C to stop\)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`heapy serve exited with ${code}: ${err}`)));
    });
    assert.match(err, /warning: --insecure-no-token: every user who can reach this port can read the whole heap/);
    assert.doesNotMatch(out, /token in/);
    const page = await browser.newPage();
    try {
      assert.equal((await page.goto(open))?.status(), 200);
      await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 });
    } finally {
      await page.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('heapy serve refuses a non-loopback host without --allow-remote, and a taken port', async () => {
  const remote = spawnSync(process.execPath, [cliPath, 'serve', snap, '--host', '0.0.0.0'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(remote.status, ExitCode.unsafeListen);
  assert.match(remote.stderr, /refusing to listen on 0\.0\.0\.0.*--allow-remote/);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const taken = spawnSync(process.execPath, [cliPath, 'serve', snap, '--port', String(port)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(taken.status, ExitCode.portTaken);
    assert.match(taken.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    blocker.close();
  }
});

test('Ctrl-C stops the server cleanly', async () => {
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.match(stdout, /heapy serve: stopped\n$/);
  assert.ok(!existsSync(/heapy serve: token in (\S+)\n/.exec(stdout)![1]!), 'the token file outlived the server');
  await assert.rejects(get('/api/report'));
});
