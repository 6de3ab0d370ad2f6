// `heapy serve` end to end: a real server process on the loopback serving the report page of a
// snapshot of test/programs/report-app.mjs, opened in headless Chromium. The page makes requests
// only to that server; opening objects, rows and more edges fetches them live; the JSON API
// refuses foreign Host headers and bad ids; unsafe hosts and taken ports are refused; Ctrl-C
// (SIGINT) stops it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openReport } from './helpers/browser.js';
import { ExitCode } from '../src/errors.js';
import { cliPath, repoRoot, testDir } from './helpers/snapshots.js';

const snap = join(testDir(), 'serve.heapsnapshot');
let server: ChildProcess;
let url = '';
let browser: Browser;
let stdout = '';

before(async () => {
  execFileSync(process.execPath, [join(repoRoot, 'test', 'programs', 'report-app.mjs'), snap], { stdio: 'inherit', timeout: 60_000 });
  server = spawn(process.execPath, [cliPath, 'serve', snap, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address from heapy serve: ${stdout}`)), 120_000);
    server.stdout!.setEncoding('utf8');
    server.stdout!.on('data', (d: string) => {
      stdout += d;
      const m = /heapy serve: (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C to stop\)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    server.once('exit', (code) => reject(new Error(`heapy serve exited with ${code}`)));
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

/** A GET with a chosen Host header and method; resolves to status and parsed JSON (or text). */
function get(path: string, options: { host?: string; method?: string } = {}): Promise<{ status: number; body: any }> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname + u.search, method: options.method ?? 'GET', headers: { host: options.host ?? u.host } }, (res) => {
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

const open = () => openReport(browser, url);

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
  await assert.rejects(get('/api/report'));
});
