// A snapshot written by Chromium (headless Debian chromium, a page, the DevTools protocol) loads,
// with the page's own objects and detached DOM nodes where Chromium marks them, and agrees with
// DevTools' engine on a snapshot without user roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './helpers/browser.js';
import { HeapSet } from '../src/api/index.js';
import { testDir } from './helpers/snapshots.js';
import { assertMatchesDevTools, hasUserRoots, loadBoth } from './helpers/devtools.js';

const PAGE = `<!doctype html><title>heapy</title><body><div id=app></div><script>
class PageWidget { constructor(i) { this.i = i; this.label = 'widget ' + i; } }
window.widgets = Array.from({ length: 300 }, (_, i) => new PageWidget(i));
const parent = document.createElement('section');
for (let i = 0; i < 20; i++) parent.appendChild(document.createElement('span'));
document.body.appendChild(parent);
window.detachedRef = parent;
parent.remove();
</script></body>`;

test('a Chromium heap snapshot loads, with its classes and detached DOM, as DevTools loads it', async () => {
  const browser = await launchChromium();
  const file = join(testDir(), 'chromium.heapsnapshot');
  try {
    const page = await browser.newPage();
    await page.setContent(PAGE);
    const cdp = await page.context().newCDPSession(page);
    const out = createWriteStream(file);
    cdp.on('HeapProfiler.addHeapSnapshotChunk', (p: { chunk: string }) => {
      out.write(p.chunk);
    });
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    await browser.close();
  }
  const { heapy: snap, devtools } = await loadBoth(file);
  assert.ok(snap.nodeCount > 10_000, `nodes: ${snap.nodeCount}`);
  // Chromium's root has one child, (GC roots): no user roots. DevTools then counts no object as
  // page-owned for dominators and folds no store into its owner; heapy does the same for the first
  // and keeps sizes as they are anyway (docs/definitions.md, "Snapshots without user roots").
  assert.equal(hasUserRoots(snap), false);
  const diff = assertMatchesDevTools(snap, devtools, 'chromium');
  assert.equal(diff.retainedCompared, snap.nodeCount, 'every retained size compared');
  assert.equal(diff.distances, diff.weakMapDistances, 'distances differ by the WeakMap rule alone');
  const rows = new Map(HeapSet.all(snap).partition.rows.map((r) => [r.label, r]));
  assert.equal(rows.get('PageWidget')?.count, 300);
  // Chromium marks the removed <section> and its children detached; heapy names them so.
  const detached = [...rows.keys()].filter((k) => k.startsWith('Detached '));
  assert.ok(detached.some((k) => /Detached <section>|Detached HTMLElement|Detached <span>/.test(k)), `detached kinds: ${detached.join(', ')}`);
});
