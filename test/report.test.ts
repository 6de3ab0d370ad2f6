// `heapy report` end to end: the CLI writes one HTML file from three snapshots and a monitor
// recording of test/programs/report-app.mjs, and headless Chromium (Debian's, through
// playwright-core) opens it: no console errors, no network requests, the known top kind first,
// relations that switch, a path to the known holder, the treemap, the graph, the diff, the leak
// cluster and the timeline. A screenshot goes to test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openReport } from './helpers/browser.js';
import { ExitCode } from '../src/errors.js';
import { cliPath, repoRoot, testDir } from './helpers/snapshots.js';
import { tempFilesOf } from './helpers/temp-files.js';

const dir = testDir();
const snaps = ['report-a', 'report-b', 'report-c'].map((n) => join(dir, `${n}.heapsnapshot`));
const monitor = join(dir, 'report-run.dat');
const page3 = join(dir, 'out', 'report.html');
const artifacts = join(repoRoot, 'test-artifacts');
let browser: Browser;

function heapy(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 180_000, env });
}

before(async () => {
  // One run of the program under `heapy run` gives the three snapshots and the recording.
  execFileSync(process.execPath, [cliPath, 'run', '-q', '--interval', '50ms', '-o', monitor, '--', process.execPath, join(repoRoot, 'test', 'programs', 'report-app.mjs'), ...snaps], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 120_000,
  });
  mkdirSync(dirname(page3), { recursive: true });
  const r = heapy(['report', ...snaps, monitor, '-o', page3]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /report\.html \(\d+\.\d MiB\)/);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Opens the report, recording console errors and every request the page makes. */
const open = (file: string) => openReport(browser, 'file://' + file);

const firstCell = (page: Page, col: number) => page.locator('#partition tbody tr').first().locator('td').nth(col).innerText();

test('the file is written whole, self-contained and small', () => {
  const size = statSync(page3).size;
  assert.ok(size > 100_000 && size < 4_000_000, `${size} bytes`);
  assert.deepEqual(tempFilesOf(page3), [], 'no temporary file left behind');
  assert.equal(statSync(page3).mode & 0o777, 0o600, 'a report holds heap strings: private');
});

test('the page loads without errors or network requests and shows the known top kind', async () => {
  const { page, errors, requests } = await open(page3);
  try {
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file://')),
      [],
      'only the file itself',
    );
    assert.equal(await page.locator('#partition [data-relation="kind"]').getAttribute('aria-pressed'), 'true');
    assert.equal(await firstCell(page, 8), 'ReportWidget');
    assert.equal(await firstCell(page, 1), '40,000');
    // Sizes in human units, exact bytes on hover.
    const size = page.locator('#partition tbody tr').first().locator('td').nth(3).locator('span').first();
    assert.match(await size.innerText(), /^\d+(\.\d+)? (KiB|MiB)$/);
    assert.match((await size.getAttribute('title')) ?? '', /^[\d,]+ bytes$/);
    for (const id of ['treemap', 'partition', 'kinds', 'graph', 'hints', 'diff', 'leaks', 'timeline']) {
      assert.equal(await page.locator(`nav.sections a[href="#${id}"]`).count(), 1, `section ${id} listed`);
    }
  } finally {
    await page.close();
  }
});

test('switching the relation changes the rows; filtering and sorting work', async () => {
  const { page, errors } = await open(page3);
  try {
    const kindLabels = await page.locator('#partition tbody tr td.label').allInnerTexts();
    await page.locator('#partition [data-relation="type"]').click();
    assert.equal(await page.locator('#partition [data-relation="type"]').getAttribute('aria-pressed'), 'true');
    const typeLabels = await page.locator('#partition tbody tr td.label').allInnerTexts();
    assert.notDeepEqual(typeLabels, kindLabels);
    assert.equal(typeLabels[0], 'object');
    assert.ok(typeLabels.includes('string') && typeLabels.includes('closure'), typeLabels.join(' | '));
    await page.locator('#partition [data-relation="via"]').click();
    assert.ok((await page.locator('#partition tbody tr td.label').allInnerTexts()).some((l) => /^\[\d+\]$/.test(l)), 'via shows element indexes');
    await page.locator('#partition [data-relation="kind"]').click();
    await page.locator('#row-filter').fill('leaked');
    const filtered = await page.locator('#partition tbody tr td.label').allInnerTexts();
    assert.deepEqual(filtered, ['LeakedOrder']);
    await page.locator('#row-filter').fill('');
    await page.locator('#partition th button', { hasText: 'Count' }).click();
    assert.equal(await page.locator('#partition th[aria-sort]').innerText(), 'COUNT');
    assert.equal(await page.locator('#partition th[aria-sort]').getAttribute('aria-sort'), 'descending');
    assert.equal(await firstCell(page, 8), 'ReportWidget');
    await page.locator('#partition th button', { hasText: 'Count' }).click();
    assert.equal(await page.locator('#partition th[aria-sort]').getAttribute('aria-sort'), 'ascending');
    assert.notEqual(await firstCell(page, 8), 'ReportWidget');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('keyboard: arrows move between rows, Enter on the top kind shows a path through its holder', async () => {
  const { page, errors } = await open(page3);
  try {
    const rows = page.locator('#partition tbody tr');
    await rows.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await rows.nth(1).evaluate((el) => el.matches(':focus')), true);
    assert.equal(await rows.nth(1).getAttribute('tabindex'), '0');
    assert.equal(await rows.nth(0).getAttribute('tabindex'), '-1');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    const panel = page.locator('#inspector');
    await panel.locator('.path').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#inspector-title').innerText(), 'ReportWidget');
    const path = await panel.locator('.path').first().innerText();
    assert.match(path.replace(/\s+/g, ''), /^Root\.global\.widgetRegistry\.widgets\[\d+\]$/);
    // A hop on the path opens that object: the registry's array.
    await panel.locator('.path button.hop', { hasText: '.widgets' }).first().click();
    await page.locator('#inspector-title').filter({ hasText: /^Array @\d+$/ }).waitFor();
    assert.match((await panel.textContent()) ?? '', /References \(40,00\d\)/);
    await page.keyboard.press('Escape');
    assert.equal(await panel.getAttribute('aria-hidden'), 'true');
    assert.equal(await rows.nth(0).evaluate((el) => el.matches(':focus')), true, 'focus returns to the row');
    // Clicking works as well as Enter.
    await rows.nth(0).click();
    await panel.locator('.path').first().waitFor();
    assert.match(await panel.locator('.path').first().innerText(), /widgetRegistry/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the treemap, the graph, the diff, the leaks and the timeline render', async () => {
  const { page, errors } = await open(page3);
  try {
    const tiles = page.locator('#treemap svg.treemap g.tile');
    assert.ok((await tiles.count()) >= 5);
    const first = await tiles.first().getAttribute('aria-label');
    assert.match(first ?? '', /^\.global global, [\d.]+ (KiB|MiB) retained/);
    // Enter goes inside a tile; the breadcrumb grows.
    await tiles.first().focus();
    await page.keyboard.press('Enter');
    await page.locator('#treemap .crumbs button', { hasText: 'Whole heap' }).waitFor();
    assert.ok(await page.locator('#treemap g.tile[aria-label^=".widgetRegistry"]').count(), 'the registry is inside global');
    await page.keyboard.press('Backspace');
    assert.equal(await page.locator('#treemap .crumbs .here').innerText(), 'Whole heap');

    const graph = page.locator('#graph .graph-view svg');
    assert.equal(await graph.count(), 1);
    assert.ok((await graph.locator('g.node').count()) >= 3, 'graph nodes drawn');
    assert.match(await graph.innerHTML(), /orderLog/);
    assert.equal(await graph.locator('script').count(), 0);

    const diffRow = page.locator('#diff tbody tr', { hasText: 'LeakedOrder' }).first();
    assert.match(await diffRow.innerText(), /\+10,000/);
    assert.match(await page.locator('#leaks .cluster').first().innerText(), /5,000 × LeakedOrder[\s\S]*Root\.global\.orderLog\.entries\[\*\]/);
    assert.ok((await page.locator('#hints .hint').count()) >= 1);
    assert.ok((await page.locator('#timeline svg.chart path').count()) >= 2, 'series drawn');
    assert.ok((await page.locator('#timeline svg.chart g.mark').count()) >= 3, 'marks drawn');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(artifacts, 'report.png')));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('dark mode and a narrow window still render without errors', async () => {
  const page = await browser.newPage({ viewport: { width: 420, height: 900 }, colorScheme: 'dark' });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto('file://' + page3);
    await page.waitForSelector('html[data-ready="true"]');
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(bg, 'rgb(18, 20, 24)');
    await page.screenshot({ path: join(artifacts, 'report-dark-narrow.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('heapy report: bad input gives a clear message and exit code', () => {
  const missing = heapy(['report', join(dir, 'nope.heapsnapshot')]);
  assert.equal(missing.status, ExitCode.fileNotFound);
  assert.match(missing.stderr, /^heapy: .*nope\.heapsnapshot: no such file\n$/);
  const four = heapy(['report', snaps[0]!, snaps[1]!, snaps[2]!, snaps[0]!, '-o', join(dir, 'x.html')]);
  assert.equal(four.status, ExitCode.usage);
  assert.match(four.stderr, /at most three snapshots/);
  const onlyMonitor = heapy(['report', monitor]);
  assert.equal(onlyMonitor.status, ExitCode.usage);
  const unwritable = heapy(['report', snaps[0]!, '-o', join(dir, 'no-such-dir', 'r.html')]);
  assert.equal(unwritable.status, ExitCode.writeFailed);
  assert.match(unwritable.stderr, /cannot write the report/);
});

test('--open starts xdg-open on the written file, or prints its path when there is none', async () => {
  const bin = join(dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const opened = join(bin, 'opened');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > '${opened}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const out = join(dir, 'out', 'opened.html');
  const r = heapy(['report', snaps[0]!, '-o', out, '--open'], { ...process.env, PATH: `${bin}:/usr/bin:/bin` });
  assert.equal(r.status, 0, r.stderr);
  // xdg-open runs detached: wait for it to leave its mark.
  for (let i = 0; i < 50 && !existsSync(opened); i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(readFileSync(opened, 'utf8').trim(), out);
  const none = heapy(['report', snaps[0]!, '-o', out, '--open'], { ...process.env, PATH: join(dir, 'empty-bin') });
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, new RegExp(`no xdg-open here: open ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in a browser`));
});
