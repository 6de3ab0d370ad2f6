// `heapy redact` on a real heap with planted secrets: none of their bytes is left in the output,
// DevTools' engine and heapy load it, heapy's summary by kind and its retained sizes are the same
// before and after, names and the graph stay, --keep/--keep-pattern/--key work, and bad input is a
// one-line error with no output file left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'heap-snapshot-toolkit';
import { ExitCode } from '../src/errors.js';
import { redactedText, redactSnapshotFile } from '../src/export/redact.js';
import { loadSnapshotFile } from '../src/snapshot/index.js';
import { SnapshotBuilder } from './helpers/builder.js';
import { runNode } from './helpers/run.js';
import { cliPath, makeSnapshot, testDir } from './helpers/snapshots.js';

const SECRETS = ['sk_live_Q7xWz3Rr9_Vd2Lp', 'tok-H4uM9c-Z1qY8e', 'pa\\"sswo\\nrdKx81Tz', '31415926.5'];

async function heapy(...args: string[]) {
  return runNode([cliPath, ...args], testDir());
}

let n = 0;
const outPath = () => join(testDir(), `redacted-${n++}.heapsnapshot`);

/** Class name -> [count, self size] as DevTools' Summary view computes them. */
async function devtoolsSummary(file: string): Promise<Map<string, string>> {
  const snap = await parse(createReadStream(file, 'utf-8'));
  const out = new Map<string, string>();
  for (const a of Object.values(snap.aggregatesWithFilter({} as Parameters<typeof snap.aggregatesWithFilter>[0]))) out.set(a.name, `${a.count}/${a.self}`);
  return out;
}

test('redact: the planted secrets are gone, names and sizes stay, both engines load the result', async () => {
  const input = makeSnapshot('redact-secrets.mjs');
  const before = readFileSync(input, 'latin1');
  // The secrets are in the input (as the snapshot escapes them), or the test proves nothing.
  for (const s of SECRETS) assert.ok(before.includes(`"${s}"`), `input holds ${s}`);
  const out = outPath();
  const r = await heapy('redact', input, out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^heapy: wrote .*: \d+ strings hashed, \d+ numbers zeroed, \d+ names kept\n$/);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const after = readFileSync(out, 'latin1');
  for (const s of SECRETS) assert.ok(!after.includes(s), `output still holds ${s}`);
  // Nothing else of the secrets' distinctive parts either (the source text held the pieces).
  for (const piece of ['Q7xWz3Rr9', 'H4uM9c', 'Kx81Tz', '31415926']) assert.ok(!after.includes(piece), `output holds ${piece}`);
  // Names stay: the class, the properties, the closure's variable, the Map.
  for (const name of ['"PaymentVault"', '"keys"', '"token"', '"authorize"', '"reading"', '"Map"']) assert.ok(after.includes(name), name);
  // The graph is byte for byte the same up to the strings.
  const cut = (t: string) => t.slice(0, t.indexOf('"strings":'));
  assert.equal(cut(after), cut(before));

  for (const args of [['summary'], ['summary', '--retained', '--top', '30'], ['summary', '--by', 'type']]) {
    const a = await heapy(...args, input);
    const b = await heapy(...args, out);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    // Rows of --retained end with a path that quotes Map keys, which are values: compare up to the object.
    const rows = (t: string) => t.split('\n').map((l) => l.replace(/^(\s+\d+ .*?>) .*$/, '$1'));
    assert.deepEqual(rows(b.stdout), rows(a.stdout), args.join(' '));
  }
  const [dtBefore, dtAfter] = [await devtoolsSummary(input), await devtoolsSummary(out)];
  assert.ok(dtAfter.size > 50);
  // DevTools names strings by class "(string)" and objects by constructor: every class the same.
  assert.deepEqual([...dtAfter].sort(), [...dtBefore].sort());
});

test('redact: replacements are a keyed hash in a length class; --key makes them reproducible', async () => {
  const input = makeSnapshot('redact-secrets.mjs');
  const key = 'team-key-1';
  const expect = redactedText('sk_live_Q7xWz3Rr9_Vd2Lp', Buffer.from(key));
  assert.equal(expect.length, 32);
  assert.match(expect, /^[\w-]{16}\.{16}$/);
  assert.notEqual(redactedText('sk_live_Q7xWz3Rr9_Vd2Lq', Buffer.from(key)), expect);
  const [a, b, c] = [outPath(), outPath(), outPath()];
  for (const [file, extra] of [[a, ['--key', key]], [b, ['--key', key]], [c, []]] as const) {
    const r = await heapy('redact', input, file, ...extra);
    assert.equal(r.code, 0, r.stderr);
  }
  const textA = readFileSync(a, 'latin1');
  assert.ok(textA.includes(`"${expect}"`), 'the key string hashed with the given key');
  assert.equal(textA, readFileSync(b, 'latin1'), 'same key, same bytes');
  assert.ok(!readFileSync(c, 'latin1').includes(`"${expect}"`), 'the default key is random');
  // The number's text became 0.
  assert.ok(!textA.includes('"31415926.5"'));
  assert.ok(textA.includes('"0"'));
});

test('redact: the same output whatever the read size (tokens, strings and escapes split across reads)', async () => {
  const input = makeSnapshot('redact-secrets.mjs');
  const [big, small] = [outPath(), outPath()];
  const a = await redactSnapshotFile(input, big, { key: 'k' });
  // 4093 bytes: a prime, so reads end at every kind of place; still a few thousand reads.
  const b = await redactSnapshotFile(input, small, { key: 'k', readBytes: 4093 });
  assert.deepEqual(b, a);
  assert.ok(a.hashed > 1000 && a.zeroed > 10 && a.names > 1000, JSON.stringify(a));
  assert.ok(readFileSync(small).equals(readFileSync(big)));
});

test('redact: a strings section of megabytes (rewritten strings fill several output blocks a read)', async () => {
  // 150,000 distinct values of 26 characters: 5 MB of replacements of 32, past the 1 MiB blocks.
  const b = new SnapshotBuilder().node('holder', 'object', 'Holder', 32).edge('root', 'holder', 'property', 'holder');
  const count = 150_000;
  for (let i = 0; i < count; i++) b.node(`s${i}`, 'string', `value-${String(i).padStart(8, '0')}-abcdefghijk`, 48).edge('holder', `s${i}`, 'element', i);
  const input = join(testDir(), 'many-strings.heapsnapshot');
  writeFileSync(input, b.toJSON());
  const [big, small] = [outPath(), outPath()];
  const r = await redactSnapshotFile(input, big, { key: 'k' });
  assert.equal(r.hashed, count);
  await redactSnapshotFile(input, small, { key: 'k', readBytes: 65521 });
  assert.ok(readFileSync(small).equals(readFileSync(big)), 'same bytes whatever the read size');
  const before = JSON.parse(readFileSync(input, 'utf8')) as { strings: string[] };
  const after = JSON.parse(readFileSync(big, 'utf8')) as { strings: string[] };
  assert.equal(after.strings.length, before.strings.length);
  for (let i = 0; i < before.strings.length; i++) {
    const s = before.strings[i]!;
    if (s.startsWith('value-')) assert.equal(after.strings[i], redactedText(s, Buffer.from('k')), `string ${i}`);
    else assert.equal(after.strings[i], s);
  }
  const snap = await loadSnapshotFile(big);
  assert.equal(snap.nodeCount, count + 2);
});

test('redact --keep and --keep-pattern keep chosen strings', async () => {
  const input = makeSnapshot('redact-secrets.mjs');
  const out = outPath();
  const r = await heapy('redact', input, out, '--keep', 'tok-H4uM9c-Z1qY8e', '--keep-pattern', '^sk_live_');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /, [1-9]\d* values kept by --keep\/--keep-pattern\n$/);
  const text = readFileSync(out, 'latin1');
  assert.ok(text.includes('"tok-H4uM9c-Z1qY8e"'));
  assert.ok(text.includes('"sk_live_Q7xWz3Rr9_Vd2Lp"'));
  assert.ok(!text.includes('Kx81Tz'), 'the others are still redacted');
  const bad = await heapy('redact', input, outPath(), '--keep-pattern', '(');
  assert.equal(bad.code, ExitCode.usage);
  assert.match(bad.stderr, /^heapy: --keep-pattern: not a regular expression: .*\n$/);
});

test('redact: bad input is a one-line error with its exit code, and no output is left', async () => {
  const input = makeSnapshot('redact-secrets.mjs');
  const whole = readFileSync(input);
  const truncated = join(testDir(), 'redact-truncated.heapsnapshot');
  // Cut inside the strings: the output had been written up to there.
  writeFileSync(truncated, whole.subarray(0, whole.length - 2000));
  const badEdge = join(testDir(), 'redact-bad.heapsnapshot');
  writeFileSync(badEdge, whole.toString('latin1').replace('"edges":[', '"edges":[99,'), 'latin1');
  const cases: [string, number, RegExp][] = [
    [truncated, ExitCode.badSnapshot, /truncated: input ended inside "strings"/],
    [badEdge, ExitCode.badSnapshot, /edge 0 has a type or target out of range|"edges" holds/],
    [join(testDir(), 'no-such.heapsnapshot'), ExitCode.fileNotFound, /no such file/],
  ];
  for (const [file, code, message] of cases) {
    const out = outPath();
    const r = await heapy('redact', file, out);
    assert.equal(r.code, code, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out), 'no output file');
    assert.deepEqual(readdirSync(testDir()).filter((f) => f.endsWith('.tmp')), [], 'no temporary file');
  }
  const same = await heapy('redact', input, input);
  assert.equal(same.code, ExitCode.usage);
  const usage = await heapy('redact', input);
  assert.equal(usage.code, ExitCode.usage);
});
