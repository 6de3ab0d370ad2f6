// Names and paths a developer recognises (issue 17), on the snapshot of test/programs/named-paths.mjs:
// repeated steps collapse, concatenated Map keys print their text, and the retained table lists a
// chain of single-child holders once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapSet } from '../src/index.js';
import { loadSnapshotFile, type HeapSnapshot } from '../src/snapshot/index.js';
import { joinSteps } from '../src/query/paths.js';
import { retainedTable } from '../src/query/dominators.js';
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

test('summary --retained: a chain of holders over one 20 MB array is one row, at the array', async () => {
  const { rows, text } = retainedTable(await snapshot(), 10);
  // global keeps 20 MB and a few hundred KB of its own (under 99%), so it stays a row.
  assert.equal(rows[0]!.kind, 'global');
  const big = rows.filter((r) => r.retainedSize >= 20_000_000 && r.kind !== 'global');
  assert.deepEqual(
    big.map((r) => [r.kind, r.depth, r.path]),
    [['Array', 4, 'Root.global.holder.ctx.big']],
  );
  assert.ok(big[0]!.retainedSize < 20_000_100, `the array's retained size: ${big[0]!.retainedSize}`);
  // The 5,000-node list retains 5,000 × 40 bytes (and its own hidden class), each node 99.98% of
  // its parent's: one row, at its head.
  const list = rows.filter((r) => r.kind === 'ListNode');
  assert.deepEqual(list.map((r) => r.path), ['Root.global.head']);
  assert.ok(list[0]!.retainedSize >= 5000 * 40 && list[0]!.retainedSize < 5000 * 40 + 2048, `the list's retained size: ${list[0]!.retainedSize}`);
  assert.equal(rows.length, 10);
  assert.match(text.split('\n')[3]!, /^ {5}1 +\d+ +86 +32 +4 Array <Array @\d+> Root\.global\.holder\.ctx\.big$/);
});

test('a module-level const of an ES module prints as <module file>.name, however its closure is reached', async () => {
  const locks = row(HeapSet.all(await loadSnapshotFile(makeSnapshot('module-locks.mjs'))), 'Lock');
  assert.equal(locks.count, 100);
  const paths = locks.sp.paths;
  assert.equal(paths.length, 100);
  for (const p of paths) assert.match(p, /^Root\..*<module module-locks\.mjs>\.locks\[\d+\]$/);
  // The closure and its context step are one module step; Node's own (CommonJS-style) internals keep theirs.
  assert.ok(paths.every((p) => !p.includes('<context>.locks') && !p.includes('<closure (anonymous)>')), paths[0]);
  assert.ok(paths.some((p) => p.endsWith('<module module-locks.mjs>.locks[99]')));
});
