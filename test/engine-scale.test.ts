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
import { loadSnapshotFile, NO_DISTANCE, NO_NODE, RENUMBER_MIN_NODES, SYSTEM_DISTANCE_BASE, type HeapSnapshot } from '../src/snapshot/index.js';
import { computeDistances, type ForwardGraph } from '../src/snapshot/passes.js';
import { shouldRenumber } from '../src/snapshot/renumber.js';

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
        // Balanced linking (what 'auto' takes for big scattered files) gives the same tree.
        const balanced = await loadSnapshotFile(path, { parallelFrom, linking: 'balanced' });
        assert.deepEqual(balanced.dominator, idom, `dominators of ${path}, balanced linking`);
        assert.deepEqual(balanced.retainedSize, s.retainedSize, `retained sizes of ${path}, balanced linking`);
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

/** Everything the analysis says of each node, keyed by V8 id: what renumbering must not change. */
function byId(s: HeapSnapshot): Map<number, string> {
  const id = (o: number) => (o === NO_NODE ? -1 : s.nodeId[o]!);
  const out = new Map<number, string>();
  for (let o = 0; o < s.nodeCount; o++) {
    const edges: string[] = [];
    for (let e = s.firstEdge[o]!; e < s.firstEdge[o + 1]!; e++) edges.push(`${s.edgeTypeName(e)}:${s.edgeNameString(e)}->${id(s.edgeTo[e]!)}`);
    const retainers: string[] = [];
    for (let k = s.firstRetainer[o]!; k < s.firstRetainer[o + 1]!; k++) retainers.push(`${id(s.retainerNode(k))}${s.retainerIsEssential(k) ? '' : '~'}`);
    out.set(
      s.nodeId[o]!,
      [s.className(o), s.nodeNameString(o), s.selfSize(o), s.distance[o], id(s.dominator[o]!), s.retainedSize[o], id(s.owner[o]!), edges.join(','), retainers.sort().join(',')].join('|'),
    );
  }
  return out;
}

/** The `locations` records as id:script:line:column. */
function locationsById(s: HeapSnapshot): string[] {
  const loc = s.locations;
  if (!loc) return [];
  const out: string[] = [];
  for (let k = 0; k < loc.length; k += 4) out.push(`${s.nodeId[loc[k]!]}:${loc[k + 1]}:${loc[k + 2]}:${loc[k + 3]}`);
  return out.sort();
}

test('renumbering into the distance search order changes ordinals only, and auto takes it for scattered tree-like heaps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapy-renumber-'));
  try {
    // A service-like heap written by V8 (users, sessions, queues, caches, closures): tree-like,
    // as service heaps are, and its permutation.
    const real = join(dir, 'service.heapsnapshot');
    execFileSync(process.execPath, [join(bench, 'gen-service-heap.mjs'), '--target-mb', '10', '--out', real, '--quiet'], { stdio: 'pipe' });
    const permuted = join(dir, 'permuted.heapsnapshot');
    execFileSync(process.execPath, [join(bench, 'permute-snapshot.mjs'), '--in', real, '--out', permuted, '--seed', '5'], { stdio: 'pipe' });
    const scattered = join(dir, 'scattered.heapsnapshot');
    execFileSync(process.execPath, [join(bench, 'gen-scattered-heap.mjs'), '--nodes', '20k', '--locality', '0', '--seed', '7', '--out', scattered], { stdio: 'pipe' });
    for (const file of [real, permuted, scattered]) {
      // parallelFrom 0: the two-thread paths (the renumbering and analysis workers), as for big files.
      for (const parallelFrom of [Infinity, 0]) {
        const plain = await loadSnapshotFile(file, { parallelFrom, renumber: 'never' });
        const renumbered = await loadSnapshotFile(file, { parallelFrom, renumber: 'always' });
        assert.equal(plain.nodeOrder.renumbered, false);
        assert.equal(renumbered.nodeOrder.renumbered, true);
        assert.equal(renumbered.rootOrdinal, 0);
        assert.equal(renumbered.nodeId[0], plain.nodeId[plain.rootOrdinal]);
        // Ordinals follow the search: distances never decrease along them, up to the nodes it did not reach.
        let last = 0;
        let ordered = true;
        for (let o = 1; o < renumbered.nodeCount && renumbered.distance[o] !== NO_DISTANCE; o++) {
          const d = renumbered.distance[o]!;
          // The user roots' part first (distances from 1), then the system part (from SYSTEM_DISTANCE_BASE).
          if (d < last && !(last >= SYSTEM_DISTANCE_BASE && d < SYSTEM_DISTANCE_BASE)) ordered = false;
          last = d;
        }
        assert.ok(ordered, `${file}: distances follow the new ordinals`);
        assert.deepEqual(byId(renumbered), byId(plain), `${file} (parallelFrom ${parallelFrom}): every node's analysis by id`);
        // Owners found after the dominator pass, in its memory (what graphs over 2^25 nodes get on
        // two threads), are the same owners.
        const inPlace = await loadSnapshotFile(file, { parallelFrom, ownersInPlaceAbove: 0 });
        assert.deepEqual(byId(inPlace), byId(plain), `${file} (parallelFrom ${parallelFrom}): owners in place`);
        // On two threads they really live in the DFS numbers' array (N + 1 words), not their own.
        if (parallelFrom === 0) assert.equal(inPlace.owner.buffer.byteLength, 4 * (inPlace.nodeCount + 1));
        else assert.equal(inPlace.owner.buffer.byteLength, 4 * inPlace.nodeCount);
        assert.deepEqual(locationsById(renumbered), locationsById(plain));
        const idom = referenceDominators(renumbered);
        assert.deepEqual(renumbered.dominator, idom, `dominators of renumbered ${file}`);
      }
    }
    // Parse progress on the two-thread path counts the worker's bytes too: never back, and no step
    // as big as the share this thread jumps over (half the file here: the bar went from ~45% to
    // 100% in one report before). A step can still be a fifth of the file: the worker decodes
    // faster than this thread parses the nodes, and both are counted at this thread's reports.
    const parse: number[] = [];
    await loadSnapshotFile(real, { parallelFrom: 0, onProgress: (phase, done, total) => void (phase === 'parse' && total > 0 && parse.push(done / total)) });
    let maxStep = 0;
    for (let i = 1; i < parse.length; i++) {
      assert.ok(parse[i]! >= parse[i - 1]!, `parse progress went back: ${parse[i - 1]} -> ${parse[i]}`);
      maxStep = Math.max(maxStep, parse[i]! - parse[i - 1]!);
    }
    assert.ok(parse.length >= 10 && maxStep < 0.45, `parse progress: ${parse.map((f) => f.toFixed(2)).join(' ')}`);
    // The real heap has closures' source positions: the renumbering carried them.
    assert.ok(locationsById(await loadSnapshotFile(real)).length > 100);
    // 'auto' on small graphs leaves the order alone; its measure, taken on any graph, tells the
    // shuffled real heap (scattered, tree-like) from its original and from a random graph.
    const measure = async (file: string) => {
      const s = await loadSnapshotFile(file, { renumber: 'never' });
      const g: ForwardGraph = {
        nodeCount: s.nodeCount,
        rootOrdinal: s.rootOrdinal,
        nodeType: s.nodeType,
        nodeName: s.nodeName,
        firstEdge: s.firstEdge,
        edgeType: s.edgeType,
        edgeTo: s.edgeTo,
        hiddenType: s.types.hidden,
        arrayType: s.types.array,
        nativeType: s.types.native,
        syntheticType: s.types.synthetic,
        weakEdgeType: s.types.edgeWeak,
        externalStringData: s.stringIndex('system / ExternalStringData'),
        domTreesRoot: s.stringIndex('(Document DOM trees)'),
      };
      return shouldRenumber(computeDistances(g, new Uint32Array(s.nodeCount)), s.nodeCount);
    };
    const [mReal, mPermuted, mScattered] = [await measure(real), await measure(permuted), await measure(scattered)];
    assert.ok(mReal.scattered < 0.5 && mReal.treeLike > 0.5 && !mReal.renumber, JSON.stringify(mReal));
    assert.ok(mPermuted.scattered > 0.5 && mPermuted.treeLike > 0.5 && mPermuted.renumber, JSON.stringify(mPermuted));
    assert.ok(mScattered.scattered > 0.5 && mScattered.treeLike < 0.5 && !mScattered.renumber, JSON.stringify(mScattered));
    assert.equal((await loadSnapshotFile(permuted)).nodeOrder.renumbered, false, `auto below ${RENUMBER_MIN_NODES} nodes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
