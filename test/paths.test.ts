// Names and paths a developer recognises (issue 17), on the snapshot of test/programs/named-paths.mjs:
// repeated steps collapse, concatenated Map keys print their text, and the retained table lists a
// chain of single-child holders once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapSet } from '../src/index.js';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { joinSteps } from '../src/query/paths.js';
import { makeSnapshot } from './helpers/snapshots.js';

let loaded: Promise<HeapSnapshot> | undefined;
const snapshot = (): Promise<HeapSnapshot> => (loaded ??= loadSnapshotFile(makeSnapshot('named-paths.mjs')));

function row(set: HeapSet, label: string): HeapSet {
  const i = set.partition.rows.findIndex((r) => r.label.trim() === label);
  assert.ok(i >= 0, `a row '${label}'`);
  return set.at(i);
}

test('joinSteps: runs of more than 3 steps, or pairs, print once with their count', () => {
  assert.equal(joinSteps(['.a', '.n', '.n', '.n']), '.a.n.n.n');
  assert.equal(joinSteps(['.a', '.n', '.n', '.n', '.n', '[0]']), '.a.n{×4}[0]');
  assert.equal(joinSteps(['.h', '.next', '.value', '.next', '.value', '.next', '.value', '.next', '.value', '.next']), '.h(.next.value){×4}.next');
  assert.equal(joinSteps(['.x', '.y', '.x', '.y', '.x', '.y']), '.x.y.x.y.x.y');
});

test('a linked list of 5,000 nodes: each path spells out up to 3 .next steps, then counts them', async () => {
  const list = row(HeapSet.all(await snapshot()), 'ListNode');
  assert.equal(list.count, 5000);
  const paths = list.sp.paths;
  const expected = Array.from({ length: 5000 }, (_, i) => 'Root.global.head' + (i > 3 ? `.next{×${i}}` : '.next'.repeat(i)));
  assert.deepEqual([...paths].sort(), expected.sort());
  // The last node's path was a 25 KB line.
  assert.ok(paths.includes('Root.global.head.next{×4999}'));
});

test('Map keys built by concatenation print their text, cut at 80 characters', async () => {
  const objects = row(HeapSet.all(await snapshot()), 'Object');
  const keyed = objects.sp.paths.filter((p) => p.includes('.sourceCodes') || p.includes('.longKeys'));
  assert.deepEqual(keyed.sort(), [
    'Root.global.keep.longKeys.get("/src/' + 'x'.repeat(75) + '…")',
    'Root.global.keep.sourceCodes.get("/src/alpha.js")',
    'Root.global.keep.sourceCodes.get("/src/beta-module.js")',
    'Root.global.keep.sourceCodes.get("/src/delta.js")',
    'Root.global.keep.sourceCodes.get("/src/gamma.js")',
  ]);
});
