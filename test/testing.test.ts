// heapy/testing: assertNoLeak runs a function in this very process, snapshots it three times and
// fails with the leak text when what the function keeps grows. The functions under test live in
// this file (not in heapy's scripts), so their objects are what the analysis sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertNoLeak } from '../src/api/testing.js';
import { repoRoot } from './helpers/snapshots.js';

class SessionRecord {
  constructor(
    readonly id: number,
    readonly payload: string,
  ) {}
}

// The leak: every call parks one record in a module-level array nobody empties.
const parked: SessionRecord[] = [];
let nextId = 0;

test('assertNoLeak rejects a function that keeps what it makes, naming the class and the holder', async () => {
  const err = await assertNoLeak(
    () => {
      parked.push(new SessionRecord(nextId, `session ${nextId++}`));
    },
    { iterations: 50 },
  ).then(
    () => assert.fail('assertNoLeak resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AssertionError, String(err));
  const message = err.message;
  assert.match(message, /^the function leaks: 50 calls a round\n/);
  assert.match(message, /#1 SessionRecord: 50 leaked \(\+50 since target\)/);
  // The holder is the array itself, the module variable of this file.
  assert.match(message, /holder: {3}Array @\d+ at .*<module testing\.test\.js>\.parked\n/);
  assert.match(message, /growth: {3}60 -> 110 held by the holder/);
  // Nothing of heapy's own (its snapshots, its session) is reported.
  assert.doesNotMatch(message, /HeapSnapshot|Hpy|SnapshotParser/);
});

test('assertNoLeak resolves for a function that allocates and drops, with the report', async () => {
  let sink = 0;
  const report = await assertNoLeak(
    async () => {
      const batch = Array.from({ length: 20 }, (_, i) => new SessionRecord(i, `temporary ${i}`));
      await new Promise((r) => setImmediate(r));
      sink += batch.length;
    },
    { iterations: 50 },
  );
  assert.equal(sink, (10 + 50 + 50) * 20);
  assert.deepEqual(
    report.clusters.filter((c) => c.growing),
    [],
  );
  assert.ok(report.newInTarget > 0, 'the snapshots saw new objects (the analysis ran)');
});

test('assertNoLeak checks its options', async () => {
  await assert.rejects(assertNoLeak(() => {}, { iterations: 0 }), RangeError);
  await assert.rejects(assertNoLeak(() => {}, { warmup: 1.5 }), /warmup must be a whole number/);
});

test("heapy/testing resolves through the package's exports map, types first, and is exported from nowhere else", async () => {
  // Self-reference by package name: Node resolves it for a module inside the package.
  const name = 'heapy/testing';
  const viaName = (await import(name)) as typeof import('../src/api/testing.js');
  assert.equal(viaName.assertNoLeak, assertNoLeak);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
  const entry = pkg.exports['./testing']!;
  assert.deepEqual(Object.keys(entry), ['types', 'default']);
  const byPath = (await import(pathToFileURL(join(repoRoot, entry.default!)).href)) as typeof import('../src/api/testing.js');
  assert.equal(byPath.assertNoLeak, assertNoLeak);
  assert.ok(readFileSync(join(repoRoot, entry.types!), 'utf8').includes('assertNoLeak'));
  const main = (await import('heapy' as string)) as Record<string, unknown>;
  assert.equal(main.assertNoLeak, undefined);
});
