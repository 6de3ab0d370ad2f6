// pprof diffs as `go tool pprof -base` makes them (Go is not installed here, so the diff is
// heapy's own, checked by decoding with pprof-format): exact deltas on hand-made sampling
// profiles, gzipped input, refusal of profiles with other sample types; heapy's two pprof
// writers (alloc and summary) share sample types and units; and `heapy diff A B --pprof` on two
// real snapshots, whose totals are B's minus A's, with shrinkage negative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Profile, StringTable, ValueType } from 'pprof-format';
import { allocationPprof, snapshotPprof } from '../src/export/index.js';
import { diffPprof, signedValue } from '../src/export/pprof-diff.js';
import type { CallFrame, SamplingProfile } from '../src/monitor/alloc.js';
import { loadSnapshotFile } from '../src/snapshot/index.js';
import { runNode } from './helpers/run.js';
import { cliPath, makeSnapshot, testDir } from './helpers/snapshots.js';

/** Stacks (outermost first, names joined by ' > ') with their values, and the sample types. */
function read(bytes: Uint8Array) {
  const p = Profile.decode(bytes);
  const s = p.stringTable.strings;
  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const loc = new Map(p.location.map((l) => [Number(l.id), l]));
  const stacks = new Map<string, number[]>();
  for (const x of p.sample) {
    const names = x.locationId.map((id) => s[Number(fn.get(Number(loc.get(Number(id))!.line[0]!.functionId))!.name)]!).reverse();
    stacks.set(names.join(' > '), x.value.map(signedValue));
  }
  return { types: p.sampleType.map((t) => `${s[Number(t.type)]}/${s[Number(t.unit)]}`), stacks, comments: p.comment.map((c) => s[Number(c)]!) };
}

const cf = (functionName: string, lineNumber: number): CallFrame => ({ functionName, scriptId: '1', url: 'file:///app/x.js', lineNumber, columnNumber: 0 });
/** A sampling profile main > {load, parse}, with the given sampled bytes of each (one sample of each size). */
function profile(load: number, parse: number): SamplingProfile {
  const kids = [];
  const samples = [];
  if (load) {
    kids.push({ id: 3, selfSize: load, callFrame: cf('load', 3), children: [] });
    samples.push({ size: load, nodeId: 3, ordinal: 1 });
  }
  if (parse) {
    kids.push({ id: 4, selfSize: parse, callFrame: cf('parse', 9), children: [] });
    samples.push({ size: parse, nodeId: 4, ordinal: 2 });
  }
  return { head: { id: 1, selfSize: 0, callFrame: cf('(root)', -1), children: [{ id: 2, selfSize: 0, callFrame: cf('main', 0), children: kids }] }, samples };
}
const opts = { samplingInterval: 1024, durationMs: 1000, startMs: 0 };

test('diffPprof: new minus base per stack, matched by frames, negative for shrinkage; gzip read; other sample types refused', () => {
  const base = allocationPprof(profile(1000, 500), opts);
  const next = allocationPprof(profile(0, 2500), opts);
  const d = read(diffPprof(gzipSync(base), next));
  assert.deepEqual(d.types, ['inuse_objects/count', 'inuse_space/bytes']);
  assert.deepEqual([...d.stacks].sort(), [['main > load', [-1, -1000]], ['main > parse', [0, 2000]]]);
  assert.match(d.comments[0]!, /negative values are shrinkage/);
  // The same profile twice: nothing changed, no samples.
  assert.equal(read(diffPprof(next, next)).stacks.size, 0);

  const st = new StringTable();
  const other = new Profile({ sampleType: [new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') })], stringTable: st }).encode();
  assert.throws(() => diffPprof(other, next), /different sample types: \[cpu\/nanoseconds\] and \[inuse_objects\/count, inuse_space\/bytes\]/);
});

test('heapy diff A B --pprof: the dominator trees by kind, B minus A', async () => {
  const a = makeSnapshot('known-heap.mjs');
  const b = makeSnapshot('redact-secrets.mjs');
  const out = join(testDir(), 'diff.pb');
  const r = await runNode([cliPath, 'diff', a, b, '--pprof', out, '--top', '3'], testDir());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /heapy: wrote .*diff\.pb\n/);
  const d = read(readFileSync(out));
  // Both writers speak the same sample types, so `go tool pprof -base` takes any pair of them.
  const pa = read(snapshotPprof(await loadSnapshotFile(a)));
  const pb = read(snapshotPprof(await loadSnapshotFile(b)));
  assert.deepEqual(d.types, pa.types);
  assert.deepEqual(read(allocationPprof(profile(1, 1), opts)).types, pa.types);
  const total = (m: Map<string, number[]>, i: number) => [...m.values()].reduce((t, v) => t + v[i]!, 0);
  for (const i of [0, 1]) assert.equal(total(d.stacks, i), total(pb.stacks, i) - total(pa.stacks, i));
  // Each stack's value is its value in B minus its value in A.
  for (const [stack, v] of d.stacks) assert.deepEqual(v, [0, 1].map((i) => (pb.stacks.get(stack)?.[i] ?? 0) - (pa.stacks.get(stack)?.[i] ?? 0)), stack);
  // known-heap's own classes are not in B: they show as shrinkage.
  const node50 = [...d.stacks].filter(([k]) => k.endsWith('Node50'));
  assert.ok(node50.length > 0 && node50.every(([, v]) => v[0]! < 0 && v[1]! < 0), JSON.stringify(node50));
  assert.ok([...d.stacks].some(([k, v]) => k.endsWith('PaymentVault') && v[0]! > 0));
});
