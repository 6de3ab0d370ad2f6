// `heapy summary` and `heapy path` end to end: real snapshots, the real CLI in a child process,
// guppy's table layout, and one-line errors with distinct exit codes on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../src/errors.js';
import { cliPath, makeSnapshot, repoRoot, testDir } from './helpers/snapshots.js';

function heapy(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('summary prints guppy’s partition table', () => {
  const file = makeSnapshot('known-heap.mjs');
  const r = heapy('summary', file);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '', 'no progress bar when stderr is not a terminal');
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^Partition of a set of \d+ objects\. Total size = \d+ bytes\.$/);
  assert.equal(lines[1], ' Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)');
  assert.equal(lines.length, 2 + 10 + 1);
  assert.match(lines[12]!, /^<\d+ more rows\. Type e\.g\. '--top 0' to view\.>$/);
  // Rows: %6d %6d %3d %8d %3d %9d %3d kind, sizes falling, cumulative adding up.
  let prevSize = Infinity;
  let cumulative = 0;
  lines.slice(2, 12).forEach((line, i) => {
    const m = /^( {0,5}\d+) ( {0,5}\d+) ( {0,2}\d+) ( *\d+) ( {0,2}\d+) ( *\d+) ( {0,2}\d+) (.+)$/.exec(line);
    assert.ok(m, `row layout: ${JSON.stringify(line)}`);
    assert.equal(m[1]!.length, 6);
    assert.equal(Number(m[1]), i);
    const size = Number(m[4]);
    assert.ok(size <= prevSize, 'largest size first');
    prevSize = size;
    cumulative += size;
    assert.equal(Number(m[6]), cumulative);
  });
});

test('summary --json, --by size, --top and --retained', () => {
  const file = makeSnapshot('known-heap.mjs');
  const j = heapy('summary', file, '--json', '--top', '0');
  assert.equal(j.code, 0, j.err);
  const data = JSON.parse(j.out) as { count: number; size: number; rows: { label: string; count: number; size: number }[] };
  const stamp = data.rows.find((r) => r.label === 'Stamp');
  assert.equal(stamp?.count, 200);
  assert.equal(data.rows.find((r) => r.label === 'properties of Stamp')?.count, 200);
  assert.equal(data.rows.reduce((a, r) => a + r.count, 0), data.count);
  assert.equal(data.rows.reduce((a, r) => a + r.size, 0), data.size);

  const bySize = heapy('summary', file, '--by', 'size', '--top', '3');
  assert.equal(bySize.code, 0, bySize.err);
  assert.match(bySize.out.split('\n')[1]!, /% Individual Size$/);
  assert.equal(bySize.out.trimEnd().split('\n').length, 2 + 3 + 1);

  const combined = heapy('summary', file, '--by', 'kind & size', '--top', '0');
  assert.equal(combined.code, 0, combined.err);
  assert.match(combined.out, /\n.* Node50 & \d+\n/);

  const retained = heapy('summary', file, '--retained', '--top', '5');
  assert.equal(retained.code, 0, retained.err);
  const rl = retained.out.trimEnd().split('\n');
  assert.match(rl[0]!, /^Largest retained sizes of a heap of \d+ objects/);
  assert.equal(rl.length, 2 + 5);
});

test('path names the real holders in JavaScript syntax', () => {
  const file = makeSnapshot('known-heap.mjs');
  const r = heapy('path', file, '--kind', 'Message', '--limit', '2');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^ 0: Root\.global\.service\.hub\.unreads\.get\("DataSource"\)\[0\]\.queue\.messages\[\d+\]$/);
  assert.match(lines[1]!, /^ 1: Root\.global\.service\.hub\.unreads\.get\("DataSource"\)\[0\]\.queue\.messages\[\d+\]$/);
  const node50 = heapy('path', file, '--kind', 'Node50', '--json', '--limit', '50');
  const paths = (JSON.parse(node50.out) as { paths: string[] }).paths.sort();
  const expected = Array.from({ length: 50 }, (_, i) => `Root.global.cache.get("k${i}")`).sort();
  assert.deepEqual(paths, expected);
});

function expectFailure(args: string[], code: number, pattern: RegExp) {
  const r = heapy(...args);
  assert.equal(r.code, code, `exit code of ${args.join(' ')}: ${r.err}`);
  assert.match(r.err, pattern);
  assert.equal(r.err.trimEnd().split('\n').length, 1, `one line: ${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.equal(r.out, '');
}

test('bad input: one line, a distinct exit code, no stack trace', () => {
  const dir = testDir();
  const good = readFileSync(makeSnapshot('known-heap.mjs'));
  expectFailure(['summary', join(dir, 'missing.heapsnapshot')], ExitCode.fileNotFound, /missing\.heapsnapshot: no such file/);
  expectFailure(['summary', dir], ExitCode.fileNotFound, /is a directory/);
  const text = join(dir, 'not-a-snapshot.txt');
  writeFileSync(text, 'hello, this is not JSON\n');
  expectFailure(['summary', text], ExitCode.badSnapshot, /not-a-snapshot\.txt: not a heap snapshot: expected "\{"/);
  const truncated = join(dir, 'truncated.heapsnapshot');
  writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)));
  expectFailure(['summary', truncated], ExitCode.badSnapshot, /truncated\.heapsnapshot: truncated: input ended inside "edges" \(at byte \d+\)/);
  const corrupt = Buffer.from(good);
  corrupt[Math.floor(good.length / 3)] = 0x41; // an 'A' in the middle of the numbers
  const corruptFile = join(dir, 'corrupt.heapsnapshot');
  writeFileSync(corruptFile, corrupt);
  expectFailure(['summary', corruptFile], ExitCode.badSnapshot, /corrupt\.heapsnapshot: unexpected byte 'A' in "(nodes|edges)" \(at byte \d+\)/);
  const lying = join(dir, 'lying.heapsnapshot');
  writeFileSync(lying, good.toString('latin1').replace(/"node_count":\d+/, '"node_count":1000000000000'), 'latin1');
  expectFailure(['summary', lying], ExitCode.badSnapshot, /lying\.heapsnapshot: header announces 1000000000000 nodes .* need at least \d+ bytes, but the input has \d+/);
  const disagree = join(dir, 'disagree.heapsnapshot');
  writeFileSync(disagree, good.toString('latin1').replace(/"edge_count":(\d+)/, (_m, n: string) => `"edge_count":${Number(n) - 1}`), 'latin1');
  expectFailure(['summary', disagree], ExitCode.badSnapshot, /disagree\.heapsnapshot: (nodes own \d+ edges in all but edge_count says \d+|node \d+ claims \d+ edges but only \d+ of edge_count \(\d+\) are left|"edges" holds more than edge_count)/);
  expectFailure(['summary', makeSnapshot('known-heap.mjs'), '--by', 'colour'], ExitCode.usage, /unknown relation 'colour'/);
  expectFailure(['summary'], ExitCode.usage, /summary takes one snapshot file/);
  expectFailure(['path', makeSnapshot('known-heap.mjs'), '--id', '2'], ExitCode.badInput, /no object with id 2/);
  expectFailure(['frobnicate'], ExitCode.usage, /unknown command 'frobnicate'/);
});

test('a sparse file of zeros the size of a big header does not hang or exhaust memory', () => {
  const f = join(testDir(), 'zeros.heapsnapshot');
  const fd = openSync(f, 'w');
  writeSync(fd, '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["hidden"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["weak"]]},"node_count":3,"edge_count":0},"nodes":[0,0,1,0,0,');
  writeSync(fd, Buffer.alloc(1 << 20, 0x30));
  closeSync(fd);
  expectFailure(['summary', f], ExitCode.badSnapshot, /truncated|holds more than node_count/);
});

test('summary --retained loads no more than 25 of heapy’s modules (no set API, no analyses)', () => {
  const file = makeSnapshot('known-heap.mjs');
  const hook = join(repoRoot, 'dist', 'test', 'helpers', 'count-modules.js');
  const r = spawnSync(process.execPath, ['--import', hook, cliPath, 'summary', '--retained', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const n = Number(/heapy-modules: (\d+)/.exec(r.stderr)?.[1]);
  // 23 at the time of the API-layer split (issue 13): the engine, kinds/paths/relations, the CLI;
  // 24 since paths read a Map table's layout (query/hashtable.ts) to tell keys from values; 25
  // since the engine renumbers scattered snapshots (snapshot/renumber.ts, issue 18).
  assert.ok(n > 10 && n <= 25, `modules loaded: ${n}`);
  const all = spawnSync(process.execPath, ['--import', hook, cliPath, 'summary', file], { encoding: 'utf8', timeout: 60_000 });
  assert.ok(Number(/heapy-modules: (\d+)/.exec(all.stderr)?.[1]) > n, 'the partition view loads the set API on top');
});

test('control bytes from a bad file reach the terminal escaped', () => {
  const good = readFileSync(makeSnapshot('known-heap.mjs')).toString('latin1');
  const f = join(testDir(), 'escape.heapsnapshot');
  // ESC [ 2 J would clear the screen; 0x9b is the one-byte CSI.
  writeFileSync(f, good.replace('"nodes":[', '"nodes":[\u001b[2J').replace('{"snapshot"', '{"\u009b\u0000":1,"snapshot"'), 'latin1');
  expectFailure(['summary', f], ExitCode.badSnapshot, /escape\.heapsnapshot: unexpected byte '\\x1b' in "nodes" \(at byte \d+\)/);
  const r = heapy('summary', f);
  assert.doesNotMatch(r.err, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no raw control byte on stderr');
});

test('stdout that fails: a full disk is one line and exit 7, a reader that went away is a quiet end', async () => {
  const file = makeSnapshot('known-heap.mjs');
  const full = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [cliPath, 'summary', file], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, ExitCode.writeFailed, r.stderr);
    assert.equal(r.stderr, 'heapy: cannot write to standard output (ENOSPC)\n');
  } finally {
    closeSync(full);
  }
  // A reader that takes what it wants and closes the pipe, like `| head -1`. It closes at once: the
  // table is a few hundred bytes, which a pipe would otherwise hold whole before any reader left.
  const child = spawn(process.execPath, [cliPath, 'summary', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(err, '', 'no message, no stack trace');
  assert.equal(code, ExitCode.ok);
});
