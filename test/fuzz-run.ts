/**
 * `npm run fuzz`: many seeded mutations of real snapshots through `heapy summary`, with a summary
 * at the end. Usage: node dist/test/fuzz-run.js [--cases N] [--seed S] [--case I] [--concurrency C]
 * [--timeout MS]. `--case I` replays one case of the seed and keeps its file. Exits 1 on a failure.
 */
import { parseArgs } from 'node:util';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzBase, makeCase, runFuzz, type CaseResult } from './helpers/fuzz.js';
import { makeSnapshot, testDir } from './helpers/snapshots.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
    case: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '10000' },
  },
});
const seed = Number(values.seed);
const bases = [fuzzBase(makeSnapshot('known-heap.mjs'), 'known-heap'), fuzzBase(makeSnapshot('odd-names.mjs'), 'odd-names')];
const one = values.case === undefined ? undefined : Number(values.case);
const count = Number(values.cases);
const cases = one !== undefined ? [one] : Array.from({ length: count }, (_, i) => i);
const started = performance.now();
let done = 0;
const results = await runFuzz({
  bases,
  seed,
  cases,
  dir: testDir(),
  concurrency: Number(values.concurrency),
  timeoutMs: Number(values.timeout),
  onCase: (r: CaseResult) => {
    done++;
    if (r.failure) process.stdout.write(`FAIL seed ${seed} case ${r.index} (${r.base}: ${r.what}): ${r.failure}\n`);
    if (process.stderr.isTTY && done % 50 === 0) process.stderr.write(`\r${done}/${cases.length}`);
  },
});
const secs = (performance.now() - started) / 1000;
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
const byCode = new Map<string, number>();
for (const r of results) byCode.set(String(r.code ?? 'hang'), (byCode.get(String(r.code ?? 'hang')) ?? 0) + 1);
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 3);
const failures = results.filter((r) => r.failure);
console.log(`fuzz: ${results.length} cases, seed ${seed}, ${secs.toFixed(1)} s (${((secs * 1000) / results.length).toFixed(0)} ms a case)`);
console.log(`exits: ${[...byCode].sort().map(([c, n]) => `${c}: ${n}`).join(', ')}`);
console.log(`slowest: ${slowest.map((r) => `case ${r.index} ${r.ms.toFixed(0)} ms (${r.what})`).join('; ')}`);
if (one !== undefined) {
  const r = results[0]!;
  const c = makeCase(bases, seed, one);
  const kept = join(testDir(), `seed${seed}-case${one}.heapsnapshot`);
  copyFileSync(join(testDir(), 'fuzz-0.heapsnapshot'), kept);
  console.log(`case ${one}: ${c.base.name}: ${c.what}\nfile: ${kept}\nheapy ${r.args.join(' ')} -> exit ${r.code}\nstderr: ${JSON.stringify(r.stderr)}`);
}
console.log(failures.length === 0 ? 'no failures' : `${failures.length} failures; replay one with: node dist/test/fuzz-run.js --seed ${seed} --case N`);
process.exitCode = failures.length === 0 ? 0 : 1;
