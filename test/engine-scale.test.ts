// The dominator pass on heaps without locality (bench/gen-scattered-heap.mjs) and on a node
// permutation of one (bench/permute-snapshot.mjs), checked against a straightforward reference:
// the iterative data-flow algorithm of Cooper, Harvey and Kennedy over the same essential edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSnapshotFile, NO_NODE, type HeapSnapshot } from '../src/snapshot/index.js';

const bench = fileURLToPath(new URL('../../bench/', import.meta.url));

/** Immediate dominators by iteration to a fixed point over the essential retainer entries. */
function referenceDominators(s: HeapSnapshot): Uint32Array {
  const N = s.nodeCount;
  const root = s.rootOrdinal;
  // Forward essential edges, from the reverse graph.
  const outCount = new Uint32Array(N + 1);
  for (let w = 0; w < N; w++) {
    for (let k = s.firstRetainer[w]!; k < s.firstRetainer[w + 1]!; k++) if (s.retainerIsEssential(k)) outCount[s.retainerNode(k) + 1]!++;
  }
  for (let v = 0; v < N; v++) outCount[v + 1]! += outCount[v]!;
  const succ = new Uint32Array(outCount[N]!);
  const fill = outCount.slice();
  for (let w = 0; w < N; w++) {
    for (let k = s.firstRetainer[w]!; k < s.firstRetainer[w + 1]!; k++) if (s.retainerIsEssential(k)) succ[fill[s.retainerNode(k)]!++] = w;
  }
  // Reverse postorder of a depth-first search from the root.
  const post = new Int32Array(N).fill(-1);
  const order: number[] = [];
  const next = outCount.slice(0, N);
  const stack = [root];
  const seen = new Uint8Array(N);
  seen[root] = 1;
  while (stack.length > 0) {
    const v = stack[stack.length - 1]!;
    if (next[v]! < outCount[v + 1]!) {
      const t = succ[next[v]!++]!;
      if (!seen[t]) {
        seen[t] = 1;
        stack.push(t);
      }
    } else {
      post[v] = order.length;
      order.push(v);
      stack.pop();
    }
  }
  assert.equal(order.length, N, 'every generated node is reachable from the root by essential edges');
  const idom = new Int32Array(N).fill(-1);
  idom[root] = root;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = order.length - 1; i >= 0; i--) {
      const w = order[i]!;
      if (w === root) continue;
      let d = -1;
      for (let k = s.firstRetainer[w]!; k < s.firstRetainer[w + 1]!; k++) {
        if (!s.retainerIsEssential(k)) continue;
        const v = s.retainerNode(k);
        if (idom[v] === -1) continue;
        d = d === -1 ? v : intersect(v, d);
      }
      if (d !== idom[w]) {
        idom[w] = d;
        changed = true;
      }
    }
  }
  const out = new Uint32Array(N);
  for (let v = 0; v < N; v++) out[v] = v === root ? NO_NODE : idom[v]!;
  return out;
}

/** Retained sizes as sums of self sizes over each dominator subtree, children before parents. */
function referenceRetained(s: HeapSnapshot, idom: Uint32Array): Float64Array {
  const N = s.nodeCount;
  const depth = new Uint32Array(N);
  const depthOf = (v: number): number => {
    let d = 0;
    for (let x = v; idom[x] !== NO_NODE; x = idom[x]!) d++;
    return d;
  };
  for (let v = 0; v < N; v++) depth[v] = depthOf(v);
  const byDepth = [...Array(N).keys()].sort((a, b) => depth[b]! - depth[a]!);
  const r = new Float64Array(N);
  for (let v = 0; v < N; v++) r[v] = s.nodeSelfSize[v]!;
  for (const v of byDepth) if (idom[v] !== NO_NODE) r[idom[v]!]! += r[v]!;
  return r;
}

test('dominators and retained sizes of scattered and permuted heaps match a reference algorithm', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapy-scale-'));
  try {
    const loaded: HeapSnapshot[] = [];
    for (const locality of ['0', '0.7']) {
      const file = join(dir, `s${locality}.heapsnapshot`);
      execFileSync(process.execPath, [join(bench, 'gen-scattered-heap.mjs'), '--nodes', '20k', '--locality', locality, '--seed', '7', '--out', file], { stdio: 'pipe' });
      const permuted = join(dir, `p${locality}.heapsnapshot`);
      execFileSync(process.execPath, [join(bench, 'permute-snapshot.mjs'), '--in', file, '--out', permuted, '--seed', '3'], { stdio: 'pipe' });
      // parallelFrom 0: the two-thread path (the analysis worker), as for big files.
      for (const [path, parallelFrom] of [[file, Infinity], [permuted, 0]] as const) {
        const s = await loadSnapshotFile(path, { parallelFrom });
        const idom = referenceDominators(s);
        assert.deepEqual(s.dominator, idom, `dominators of ${path}`);
        assert.deepEqual(s.retainedSize, referenceRetained(s, idom), `retained sizes of ${path}`);
        loaded.push(s);
      }
    }
    // The permutation changed ordinals only: by V8 id, every node keeps its dominator, retained
    // size and distance.
    for (let i = 0; i < loaded.length; i += 2) {
      const [a, b] = [loaded[i]!, loaded[i + 1]!];
      assert.equal(a.nodeCount, b.nodeCount);
      let moved = 0;
      for (let o = 0; o < a.nodeCount; o++) {
        const p = b.ordinalOfId(a.nodeId[o]!);
        if (p !== o) moved++;
        assert.equal(b.retainedSize[p], a.retainedSize[o]);
        assert.equal(b.distance[p], a.distance[o]);
        const da = a.dominator[o]!;
        const db = b.dominator[p]!;
        assert.equal(db === NO_NODE ? -1 : b.nodeId[db], da === NO_NODE ? -1 : a.nodeId[da]);
      }
      assert.ok(moved > a.nodeCount / 2, `the permutation moved ${moved} of ${a.nodeCount} nodes`);
    }
    // Locality changes the order of nodes in the file, not the heap's totals.
    assert.ok(loaded[0]!.nodeCount === 20_002 && loaded[0]!.edgeCount === 50_002);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
