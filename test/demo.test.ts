// `heapy demo` (what `npm start` runs) end to end: a real service, attached by pid, and the
// sections of the story in order, in 80 columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cliPath } from './helpers/snapshots.js';

test('the demo tells the story in order and cleans up after itself', () => {
  const r = spawnSync(process.execPath, [cliPath, 'demo', '--wait', '2s'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  // Long paths are broken over lines with a six-space indent; join them back for matching.
  const out = r.stdout.replace(/\n {6}(?=[.[])/g, '');
  const order = [
    /== the heap by kind/,
    /Partition of a set of \d+ objects/,
    /\d+ properties of NanoTime/,
    /== NanoTime's property stores: heap\[\d+\]\.bySize/,
    /heap\.hints\(\) says:\n  [\d,]+ NanoTime objects/,
    /fix: /,
    /== TradeMessage keeps growing/,
    / 0: Root\.global\.service\._hub\._unreads\.get\("DataSource"\)\[0\]\._queue\.messages\[\d+\]/,
    /== what changed in 2 s/,
    /Summary of difference operation \(A-B\)\./,
    /== a report to look at/,
    /Wrote (\/\S+\.html)/,
    /Detached from pid \d+ \(heapy closed the inspector it\s+opened\)\./,
  ];
  let at = 0;
  for (const re of order) {
    const m = re.exec(out.slice(at));
    assert.ok(m, `expected ${re} after offset ${at} in:\n${out}`);
    at += m.index + m[0].length;
  }
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 80, `wider than 80 columns: ${JSON.stringify(line)}`);
  const report = /Wrote (\/\S+\.html)/.exec(out)![1]!;
  assert.ok(existsSync(report));
  assert.match(readFileSync(report, 'utf8'), /^<!doctype html>/i);
  rmSync(report);
  // The service is gone and its pid with it.
  const pid = Number(/pid (\d+);\s+it\s+knows\s+nothing/.exec(out)![1]);
  assert.throws(() => process.kill(pid, 0));
});
