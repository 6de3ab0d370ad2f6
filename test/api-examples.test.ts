// The API reference's start page (docs/api.md, built by typedoc) shows examples/api/*.mjs as its
// worked examples; each runs here as the page says, `node examples/api/<name>.mjs`, importing
// 'heapy' by the package's own name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNode } from './helpers/run.js';
import { repoRoot } from './helpers/snapshots.js';

const run = (name: string) => runNode([join('examples', 'api', `${name}.mjs`)], repoRoot);

test('the start page includes every example, and each imports heapy by name', () => {
  const page = readFileSync(join(repoRoot, 'docs', 'api.md'), 'utf8');
  const files = readdirSync(join(repoRoot, 'examples', 'api')).filter((f) => f.endsWith('.mjs'));
  assert.deepEqual(files.sort(), ['attach.mjs', 'hpy.mjs', 'load-snapshot.mjs', 'manhole.mjs']);
  for (const f of files) {
    assert.ok(page.includes(`{@includeCode ../examples/api/${f}}`), `docs/api.md shows ${f}`);
    assert.match(readFileSync(join(repoRoot, 'examples', 'api', f), 'utf8'), /from 'heapy';/);
  }
});

test('hpy(): the objects allocated after setref, with a path', async () => {
  const r = await run('hpy');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Partition of a set of \d+ objects\./);
  assert.match(r.stdout, /\nOrder objects since setref: 5000\n/);
  assert.match(r.stdout, / 0: Root\.global\.orders\[\d+\]\n/);
});

test('loadSnapshotFile(): a snapshot written by the example, partitioned', async () => {
  const r = await run('load-snapshot');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^phases: parse, .*dominators/);
  assert.match(r.stdout, /\nSession: 3000 objects, \d+ bytes\n/);
});

test('startManhole(): the example reaches its own manhole with the token', async () => {
  const r = await run('manhole');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /manhole on port \d+; token in /);
  assert.match(r.stdout, /\ncache\.size in the manhole: 1000\n/);
});

test('attach(): another process by pid, analysed in this one', async () => {
  const r = await run('attach');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^attached to pid \d+ \(inspector 127\.0\.0\.1:\d+, opened by heapy\)\n/);
  assert.match(r.stdout, /\nTicket: 2000 objects\n/);
  assert.match(r.stdout, /process\.memoryUsage\(\):\n {2}rss +\d/);
});
