// The fuzz suite's fixed-seed run (npm run fuzz runs thousands): mutated real snapshots through
// `heapy summary`, each within 10 s, exiting 0 or with a file error code and one clean line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzBase, makeCase, runFuzz, type CaseResult } from './helpers/fuzz.js';
import { cliPath, makeSnapshot, testDir } from './helpers/snapshots.js';

const SEED = 20261201;
const CASES = 240;

const bases = () => [fuzzBase(makeSnapshot('known-heap.mjs'), 'known-heap'), fuzzBase(makeSnapshot('odd-names.mjs'), 'odd-names')];

test('the mutator is deterministic: a case depends only on the seed and its number', () => {
  const b = bases();
  const a = makeCase(b, SEED, 17);
  assert.equal(makeCase(b, SEED, 17).text, a.text);
  assert.equal(makeCase(b, SEED, 17).what, a.what);
  const what = (seed: number) => Array.from({ length: 10 }, (_, i) => makeCase(b, seed, i).what).join('\n');
  assert.notEqual(what(SEED + 1), what(SEED), 'another seed, other cases');
});

let results: CaseResult[] = [];

test(`${CASES} mutated snapshots: no hang, no internal error, one clean line on failure`, { timeout: 120_000 }, async () => {
  results = await runFuzz({ bases: bases(), seed: SEED, cases: Array.from({ length: CASES }, (_, i) => i), dir: testDir(), timeoutMs: 10_000 });
  const failures = results.filter((r) => r.failure).map((r) => `case ${r.index} (${r.base}: ${r.what}): ${r.failure}`);
  assert.deepEqual(failures, [], `replay with: npm run fuzz -- --seed ${SEED} --case N`);
  // The run covered both outcomes and every kind of mutation, reflows loading as the base.
  const kinds = new Set(results.map((r) => r.what.split(/[ :]/)[0]));
  for (const k of ['truncate', 'byte', 'node_count', 'edge_count', 'node', 'string', 'reflow', 'duplicate', 'delete']) assert.ok(kinds.has(k), `a ${k} case`);
  assert.ok(results.filter((r) => r.what.startsWith('reflow') && r.code === 0).length >= 10, 'reflowed layouts load');
  assert.ok(results.filter((r) => r.code === 4).length >= CASES / 4, 'most mutants are bad snapshots');
});

test('in-process cases give what the real CLI gives', () => {
  assert.ok(results.length > 0, 'the run above ran');
  // One case of each exit code seen, and a few more.
  const picked = new Map<string, CaseResult>();
  for (const r of results) if (!picked.has(String(r.code))) picked.set(String(r.code), r);
  const sample = [...picked.values(), ...results.filter((_, i) => i % 60 === 7)];
  const path = join(testDir(), 'fuzz-cli.heapsnapshot');
  for (const r of sample) {
    writeFileSync(path, makeCase(bases(), SEED, r.index).text, 'latin1');
    const args = r.args.map((a) => (a.endsWith('.heapsnapshot') ? path : a));
    const cli = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, HEAPY_NO_HUGE_PAGES: '1' } });
    const norm = (s: string) => s.split(path).join('FILE');
    assert.deepEqual({ code: cli.status, stderr: norm(cli.stderr), stdout: norm(cli.stdout) }, { code: r.code, stderr: r.stderr, stdout: r.stdout }, `case ${r.index}: ${r.what}`);
  }
});
